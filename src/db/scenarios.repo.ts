import type { Queryable } from './pool.ts';
import { pageClause, toPage, type Page, type PageRequest } from './page.ts';
import { deleteById, selectById, updateById } from './sql.ts';

export interface ExpectedPoint {
  label: string;
  keywords: string[];
}

export interface Scenario {
  id: string;
  name: string;
  language: string;
  subject: string;
  /** May use `{{persona.firstName}}`, `{{persona.lastName}}`, `{{brand.name}}`. */
  body: string;
  expectedPoints: ExpectedPoint[];
  reminderBody: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type ScenarioInput = Omit<Scenario, 'id' | 'createdAt' | 'updatedAt' | 'reminderBody'> & { reminderBody?: string | null };

interface ScenarioRow {
  id: string;
  name: string;
  language: string;
  subject: string;
  body: string;
  expected_points: ExpectedPoint[];
  reminder_body: string | null;
  created_at: Date;
  updated_at: Date;
}

export const toScenario = (row: ScenarioRow): Scenario => ({
  id: row.id,
  name: row.name,
  language: row.language,
  subject: row.subject,
  body: row.body,
  expectedPoints: row.expected_points,
  reminderBody: row.reminder_body,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const COLUMNS = {
  name: 'name',
  language: 'language',
  subject: 'subject',
  body: 'body',
  expectedPoints: 'expected_points',
  reminderBody: 'reminder_body',
};

export async function insertScenario(db: Queryable, input: ScenarioInput): Promise<Scenario> {
  const { rows } = await db.query<ScenarioRow>(
    `insert into scenarios (name, language, subject, body, expected_points, reminder_body)
     values ($1, $2, $3, $4, $5, $6) returning *`,
    [input.name, input.language, input.subject, input.body, JSON.stringify(input.expectedPoints), input.reminderBody ?? null],
  );
  return toScenario(rows[0]!);
}

export async function findScenario(db: Queryable, id: string): Promise<Scenario | null> {
  const row = await selectById<ScenarioRow>(db, 'scenarios', id);
  return row && toScenario(row);
}

export async function listScenarios(db: Queryable, page: PageRequest): Promise<Page<Scenario>> {
  const clause = pageClause(page, 1);
  const { rows } = await db.query<ScenarioRow>(`select * from scenarios where ${clause.sql}`, clause.values);
  return toPage(rows, page.limit, toScenario);
}

export async function updateScenario(db: Queryable, id: string, patch: Partial<ScenarioInput>): Promise<Scenario | null> {
  const values = { ...patch, expectedPoints: patch.expectedPoints && JSON.stringify(patch.expectedPoints) };
  const row = await updateById<ScenarioRow>(db, 'scenarios', id, values, COLUMNS);
  return row && toScenario(row);
}

export const deleteScenario = (db: Queryable, id: string) => deleteById(db, 'scenarios', id);

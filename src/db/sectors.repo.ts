import type { Queryable } from './pool.ts';
import { pageClause, toPage, type Page, type PageRequest } from './page.ts';
import { deleteById, selectById, updateById } from './sql.ts';

export interface Sector {
  id: string;
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

interface SectorRow {
  id: string;
  name: string;
  created_at: Date;
  updated_at: Date;
}

const toSector = (row: SectorRow): Sector => ({ id: row.id, name: row.name, createdAt: row.created_at, updatedAt: row.updated_at });

export async function insertSector(db: Queryable, input: { name: string }): Promise<Sector> {
  const { rows } = await db.query<SectorRow>('insert into sectors (name) values ($1) returning *', [input.name]);
  return toSector(rows[0]!);
}

export async function findSector(db: Queryable, id: string): Promise<Sector | null> {
  const row = await selectById<SectorRow>(db, 'sectors', id);
  return row && toSector(row);
}

export async function listSectors(db: Queryable, page: PageRequest): Promise<Page<Sector>> {
  const clause = pageClause(page, 1);
  const { rows } = await db.query<SectorRow>(`select * from sectors where ${clause.sql}`, clause.values);
  return toPage(rows, page.limit, toSector);
}

export async function updateSector(db: Queryable, id: string, patch: { name?: string }): Promise<Sector | null> {
  const row = await updateById<SectorRow>(db, 'sectors', id, patch, { name: 'name' });
  return row && toSector(row);
}

export const deleteSector = (db: Queryable, id: string) => deleteById(db, 'sectors', id);

import type { Queryable } from './pool.ts';
import { pageClause, toPage, type Page, type PageRequest } from './page.ts';
import { deleteById, selectById, updateById } from './sql.ts';

export interface BrandCharter {
  /** File names, alt texts or URL parts by which the brand's logo is recognised. */
  logoHints: string[];
  /** The brand's colours, as #rrggbb. */
  colors: string[];
}

export interface Brand {
  id: string;
  sectorId: string;
  name: string;
  contactAddresses: string[];
  senderDomains: string[];
  vocabulary: string[];
  charter: BrandCharter;
  createdAt: Date;
  updatedAt: Date;
}

export type BrandInput = Omit<Brand, 'id' | 'createdAt' | 'updatedAt' | 'charter'> & { charter: Partial<BrandCharter> };

interface BrandRow {
  id: string;
  sector_id: string;
  name: string;
  contact_addresses: string[];
  sender_domains: string[];
  vocabulary: string[];
  charter: BrandCharter;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = {
  sectorId: 'sector_id',
  name: 'name',
  contactAddresses: 'contact_addresses',
  senderDomains: 'sender_domains',
  vocabulary: 'vocabulary',
  charter: 'charter',
};

export const toBrand = (row: BrandRow): Brand => ({
  id: row.id,
  sectorId: row.sector_id,
  name: row.name,
  contactAddresses: row.contact_addresses,
  senderDomains: row.sender_domains,
  vocabulary: row.vocabulary,
  charter: { logoHints: row.charter.logoHints ?? [], colors: row.charter.colors ?? [] },
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** Addresses and domains are compared case-insensitively everywhere: store them lower-cased. */
function normalise<T extends Partial<BrandInput>>(input: T): T {
  return {
    ...input,
    ...(input.contactAddresses && { contactAddresses: input.contactAddresses.map((a) => a.toLowerCase()) }),
    ...(input.senderDomains && { senderDomains: input.senderDomains.map((d) => d.toLowerCase()) }),
    ...(input.charter && { charter: { logoHints: input.charter.logoHints ?? [], colors: (input.charter.colors ?? []).map((c) => c.toLowerCase()) } }),
  };
}

export async function insertBrand(db: Queryable, input: BrandInput): Promise<Brand> {
  const b = normalise(input);
  const { rows } = await db.query<BrandRow>(
    `insert into brands (sector_id, name, contact_addresses, sender_domains, vocabulary, charter)
     values ($1, $2, $3, $4, $5, $6) returning *`,
    [b.sectorId, b.name, b.contactAddresses, b.senderDomains, b.vocabulary, b.charter],
  );
  return toBrand(rows[0]!);
}

export async function findBrand(db: Queryable, id: string): Promise<Brand | null> {
  const row = await selectById<BrandRow>(db, 'brands', id);
  return row && toBrand(row);
}

export async function listBrands(db: Queryable, page: PageRequest, filter: { sectorId?: string | undefined }): Promise<Page<Brand>> {
  const clause = pageClause(page, 2);
  const { rows } = await db.query<BrandRow>(
    `select * from brands where ($1::uuid is null or sector_id = $1) and ${clause.sql}`,
    [filter.sectorId ?? null, ...clause.values],
  );
  return toPage(rows, page.limit, toBrand);
}

export async function updateBrand(db: Queryable, id: string, patch: Partial<BrandInput>): Promise<Brand | null> {
  const row = await updateById<BrandRow>(db, 'brands', id, normalise(patch), COLUMNS);
  return row && toBrand(row);
}

export const deleteBrand = (db: Queryable, id: string) => deleteById(db, 'brands', id);

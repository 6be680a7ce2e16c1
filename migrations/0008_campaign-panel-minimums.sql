-- Up Migration
-- Panel sufficiency: statistics warn (panel_too_small) about a brand with fewer probes than
-- min_probes_per_brand, and a sector with fewer brands than min_brands_per_sector (ESCDA
-- asks for three candidates in a category).
alter table campaigns
  add column min_probes_per_brand integer not null default 30
    constraint campaigns_min_probes_per_brand_check check (min_probes_per_brand between 1 and 100000),
  add column min_brands_per_sector integer not null default 3
    constraint campaigns_min_brands_per_sector_check check (min_brands_per_sector between 1 and 1000);

-- Global search (src/crm/search.ts): substrings and close words through trigram indexes
-- (pg_trgm, which PGlite ships as a contrib extension and PostgreSQL marks trusted), word stems
-- through Russian full-text indexes, INN prefixes and phone digits. Each index is on exactly the
-- expression the search writes, so the planner can combine them for one kind's conditions.
create extension if not exists pg_trgm;

create index companies_name_trgm on companies using gin (lower(name) gin_trgm_ops);
create index companies_name_fts on companies using gin (to_tsvector('russian', coalesce(name, '')));
create index companies_inn_prefix on companies (workspace_id, inn text_pattern_ops) where inn is not null;

create index contacts_name_trgm on contacts using gin (lower(name) gin_trgm_ops);
create index contacts_name_fts on contacts using gin (to_tsvector('russian', coalesce(name, '')));
create index contacts_email_trgm on contacts using gin (lower(email) gin_trgm_ops) where email is not null;
create index contacts_phone_trgm on contacts using gin (regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g') gin_trgm_ops) where phone is not null;

create index leads_title_trgm on leads using gin (lower(title) gin_trgm_ops);
create index leads_title_fts on leads using gin (to_tsvector('russian', coalesce(title, '')));
create index leads_company_trgm on leads using gin (lower(company_name) gin_trgm_ops) where company_name is not null;
create index leads_contact_trgm on leads using gin (lower(contact_name) gin_trgm_ops) where contact_name is not null;
create index leads_email_trgm on leads using gin (lower(email) gin_trgm_ops) where email is not null;
create index leads_phone_trgm on leads using gin (regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g') gin_trgm_ops) where phone is not null;

create index deals_title_trgm on deals using gin (lower(title) gin_trgm_ops);
create index deals_title_fts on deals using gin (to_tsvector('russian', coalesce(title, '')));
create index deals_contact_idx on deals (workspace_id, contact_id) where contact_id is not null;

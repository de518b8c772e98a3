-- Visibility: a record is seen by its owner, the owner's team lead, the roles that see
-- everything — and the people it is shared with.
alter table deals add column shared_with bigint[] not null default '{}';
alter table companies add column shared_with bigint[] not null default '{}';
alter table contacts add column shared_with bigint[] not null default '{}';
alter table leads add column shared_with bigint[] not null default '{}';
create index deals_shared_with on deals using gin (shared_with) where shared_with <> '{}';
create index companies_shared_with on companies using gin (shared_with) where shared_with <> '{}';
create index contacts_shared_with on contacts using gin (shared_with) where shared_with <> '{}';
create index leads_shared_with on leads using gin (shared_with) where shared_with <> '{}';
create index activities_owner on activities (workspace_id, owner_id);

-- The pipeline editor's rules (issue 17): archived stages, loss reasons, the forced-move policy.

-- A stage with history is archived, never deleted: its entries stay in stage_events, so past
-- reports keep counting it; it is no longer offered as a move target, on the board or in pickers.
alter table stages add column archived_at timestamptz;
alter table stages add column archived_by bigint;
alter table stages add foreign key (workspace_id, archived_by) references users (workspace_id, id);

-- Why deals are lost: a list the head of sales keeps. A reason left out of use is deactivated,
-- never deleted, because past entries name it.
create table loss_reasons (
  workspace_id bigint not null references workspaces (workspace_id) on delete cascade,
  id bigint generated always as identity,
  name_ru text not null check (length(trim(name_ru)) between 1 and 200),
  name_en text not null check (length(trim(name_en)) between 1 and 200),
  position integer not null default 0,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version integer not null default 1,
  primary key (workspace_id, id)
);
create unique index loss_reasons_name_ru_key on loss_reasons (workspace_id, lower(name_ru));

grant select, insert, update, delete on loss_reasons to voronka_app;
alter table loss_reasons enable row level security;
create policy workspace_isolation on loss_reasons to voronka_app
  using (workspace_id = nullif(current_setting('voronka.workspace_id', true), '')::bigint)
  with check (workspace_id = nullif(current_setting('voronka.workspace_id', true), '')::bigint);

-- The chosen reason of a lost entry, for reports that group by it (the free text stays a comment).
-- No per-row foreign key, as for the rest of the history (bulk rate); reasons are never deleted.
alter table stage_events add column loss_reason_id bigint;

-- Who may move a deal past unmet stage requirements, and whether they must say why.
alter table workspaces add column force_policy text not null default 'head_of_sales'
  check (force_policy in ('nobody', 'head_of_sales', 'team_leads'));
alter table workspaces add column force_needs_reason boolean not null default true;

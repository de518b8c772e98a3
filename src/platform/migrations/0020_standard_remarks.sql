-- Remarks on the sales standard, left from a card (issue 17, src/process/remarks.ts): «this field is
-- never used», «we need X here». The head of sales reads them beside the field-usage figures and
-- answers each: accepted, rejected (with the reason) or done.
--
-- `record_id` names a deal, company, contact or lead by `object_type`: one column for four kinds of
-- record, so it has no foreign key (the app never deletes those records, it archives them). The
-- stage is the one the deal's card showed when the remark was written; a stage removed later only
-- forgets it (set null on that column alone).
create table standard_remarks (
  workspace_id bigint not null references workspaces (workspace_id) on delete cascade,
  id bigint generated always as identity,
  object_type text not null check (object_type in ('deal', 'company', 'contact', 'lead')),
  -- A standard field's column name or `custom.<key>`; null: a remark on the card as a whole.
  field text check (field is null or field ~ '^(custom\.)?[a-z][a-z0-9_]{0,62}$'),
  record_id bigint,
  stage_id bigint,
  text text not null check (length(btrim(text)) between 1 and 2000),
  author_id bigint not null,
  created_at timestamptz not null,
  status text not null default 'open' check (status in ('open', 'accepted', 'rejected', 'done')),
  answer text check (answer is null or length(answer) between 1 and 2000),
  resolved_by bigint,
  resolved_at timestamptz,
  updated_at timestamptz not null,
  version integer not null default 1,
  primary key (workspace_id, id),
  check (stage_id is null or object_type = 'deal'),
  check ((resolved_by is null) = (resolved_at is null)),
  foreign key (workspace_id, author_id) references users (workspace_id, id),
  foreign key (workspace_id, resolved_by) references users (workspace_id, id),
  foreign key (workspace_id, stage_id) references stages (workspace_id, id) on delete set null (stage_id)
);
-- The head of sales' list (by status, newest first), a person's own remarks, and the open remarks
-- counted per field beside the usage figures.
create index standard_remarks_status_idx on standard_remarks (workspace_id, status, id desc);
create index standard_remarks_author_idx on standard_remarks (workspace_id, author_id, id desc);
create index standard_remarks_field_idx on standard_remarks (workspace_id, object_type, field) where status = 'open';

grant select, insert, update, delete on standard_remarks to voronka_app;
alter table standard_remarks enable row level security;
create policy workspace_isolation on standard_remarks to voronka_app
  using (workspace_id = nullif(current_setting('voronka.workspace_id', true), '')::bigint)
  with check (workspace_id = nullif(current_setting('voronka.workspace_id', true), '')::bigint);

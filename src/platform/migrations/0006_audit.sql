-- Who changed what and when. Every create and update of a record through the API
-- writes one row here in the same transaction as the change itself; the deal card's
-- history shows the edits of a deal from it.
create table audit_log (
  workspace_id bigint not null,
  id bigint generated always as identity,
  at timestamptz not null,
  user_id bigint,
  entity text not null,
  entity_id bigint not null,
  action text not null check (action in ('create', 'update', 'delete')),
  -- {"field": {"from": old, "to": new}}; custom fields as "custom.key".
  changes jsonb not null default '{}'::jsonb,
  primary key (workspace_id, id)
);
create index audit_log_entity on audit_log (workspace_id, entity, entity_id, at desc);

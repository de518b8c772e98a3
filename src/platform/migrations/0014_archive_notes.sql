-- Archive instead of delete (companies, contacts, leads), notes on the timeline (issue 16).
--
-- An archived record leaves lists, search and pickers but its card still opens; `restore`
-- brings it back. Nothing is deleted by a click. Deals are not archived: a deal leaves the
-- pipeline closed as lost with a reason, which the funnel counts.
alter table companies add column archived_at timestamptz, add column archived_by bigint,
  add foreign key (workspace_id, archived_by) references users (workspace_id, id);
alter table contacts add column archived_at timestamptz, add column archived_by bigint,
  add foreign key (workspace_id, archived_by) references users (workspace_id, id);
alter table leads add column archived_at timestamptz, add column archived_by bigint,
  add foreign key (workspace_id, archived_by) references users (workspace_id, id);

-- A note is an activity of its own type: text on a card's timeline (with @mentions), never
-- counted as a call, meeting or any other contact with the client.
alter table activities drop constraint activities_type_check;
alter table activities add constraint activities_type_check
  check (type in ('call', 'meeting', 'demo', 'email', 'proposal', 'note'));

-- Archiving and restoring are audited as themselves.
alter table audit_log drop constraint audit_log_action_check;
alter table audit_log add constraint audit_log_action_check
  check (action in ('create', 'update', 'delete', 'archive', 'restore'));

-- The record's version after the change: a stale edit (409) names the changes made since the
-- version its caller read (`changesSince` in src/platform/audit.ts). Null on older rows.
alter table audit_log add column version integer;

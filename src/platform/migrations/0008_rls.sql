-- Tenant isolation in the database. Request handling runs as the role voronka_app
-- (`set local role` in every workspace-scoped transaction, src/platform/db/workspace-scope.ts);
-- for that role every table keyed by workspace_id shows and accepts only the rows of the
-- workspace in the transaction's `voronka.workspace_id`. The owner (migrations, import,
-- demo, backup) is not subject to the policies. A catalog test checks every table.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'voronka_app') then
    create role voronka_app nologin noinherit;
  end if;
end $$;

do $$
declare
  t record;
begin
  execute format('grant usage on schema %I to voronka_app', current_schema());
  for t in
    select c.table_name from information_schema.columns c
      join information_schema.tables tb on tb.table_schema = c.table_schema and tb.table_name = c.table_name
     where c.table_schema = current_schema() and c.column_name = 'workspace_id' and tb.table_type = 'BASE TABLE'
  loop
    execute format('grant select, insert, update, delete on %I to voronka_app', t.table_name);
    execute format('alter table %I enable row level security', t.table_name);
    execute format(
      'create policy workspace_isolation on %I to voronka_app
         using (workspace_id = nullif(current_setting(''voronka.workspace_id'', true), '''')::bigint)
         with check (workspace_id = nullif(current_setting(''voronka.workspace_id'', true), '''')::bigint)',
      t.table_name);
  end loop;
  execute format('grant usage, select on all sequences in schema %I to voronka_app', current_schema());
end $$;

-- The connecting role switches to voronka_app, so it must be a member.
do $$
begin
  if not exists (
    select 1 from pg_auth_members m join pg_roles r on r.oid = m.roleid join pg_roles u on u.oid = m.member
     where r.rolname = 'voronka_app' and u.rolname = current_user
  ) and not (select rolsuper from pg_roles where rolname = current_user) then
    execute format('grant voronka_app to %I', current_user);
  end if;
end $$;

-- Notifications in the app (src/notifications, docs/notifications.md): a task assigned to me, a
-- deal of mine moved, reassigned to me or commented, a mention (@Имя Фамилия) in an activity's
-- notes — each by someone else.
--
-- They are made by one AFTER INSERT trigger on audit_log: every write through the API writes its
-- audit row in its own transaction (a record's create and update, a stage move's new history
-- entry), so the notification commits or rolls back with the write, on every path (one edit, a
-- bulk edit, a move), and the platform knows nothing of the feature. Imports and the demo write
-- no audit rows, so they notify nobody; nor does a row without a user (the system).
create table notifications (
  workspace_id bigint not null references workspaces (workspace_id) on delete cascade,
  id bigint generated always as identity,
  user_id bigint not null,
  kind text not null check (kind in ('task_assigned', 'deal_moved', 'deal_assigned', 'deal_commented', 'mentioned')),
  -- The record the notification opens.
  entity text not null check (entity in ('deals', 'tasks', 'companies', 'contacts', 'leads')),
  entity_id bigint not null,
  actor_id bigint,
  -- The values its text names (task and deal titles, the stage, the activity), as they were then.
  params jsonb not null default '{}'::jsonb,
  created_at timestamptz not null,
  read_at timestamptz,
  primary key (workspace_id, id),
  foreign key (workspace_id, user_id) references users (workspace_id, id) on delete cascade,
  foreign key (workspace_id, actor_id) references users (workspace_id, id)
);
-- A person's list, newest first, and their unread ones (the badge, ?unread=true).
create index notifications_user_idx on notifications (workspace_id, user_id, id desc);
create index notifications_unread_idx on notifications (workspace_id, user_id, id desc) where read_at is null;

grant select, insert, update, delete on notifications to voronka_app;
alter table notifications enable row level security;
create policy workspace_isolation on notifications to voronka_app
  using (workspace_id = nullif(current_setting('voronka.workspace_id', true), '')::bigint)
  with check (workspace_id = nullif(current_setting('voronka.workspace_id', true), '')::bigint);

-- The users a text mentions: each '@' followed by a workspace user's full name, case-insensitive
-- and not followed by a letter or digit; of several names that fit at one '@', the longest.
create function notifications_mentions(ws bigint, body text) returns bigint[]
  language sql stable
  return array(
    select distinct m.id from (
      select distinct on (p.n) u.id
        from unnest(string_to_array(lower(coalesce(body, '')), '@')) with ordinality as p(piece, n)
        join users u on u.workspace_id = ws and u.active
         and left(p.piece, length(u.name)) = lower(u.name)
         and substr(p.piece, length(u.name) + 1, 1) !~ '[0-9a-zа-яё_]'
       where p.n > 1
       order by p.n, length(u.name) desc
    ) m);

create function notifications_add(ws bigint, recipient bigint, kind text, entity text, entity_id bigint, actor bigint,
                                  at timestamptz, params jsonb) returns void
  language plpgsql as $$
declare
  new_id bigint;
begin
  insert into notifications (workspace_id, user_id, kind, entity, entity_id, actor_id, params, created_at)
  values (ws, recipient, kind, entity, entity_id, actor, params, at)
  returning id into new_id;
  -- Delivered to the open streams at COMMIT, and never for a rolled-back write.
  perform pg_notify('voronka_notifications', json_build_object('w', ws, 'u', recipient, 'id', new_id)::text);
end $$;

create function notifications_from_audit() returns trigger
  language plpgsql as $$
declare
  ws bigint := new.workspace_id;
  actor bigint := new.user_id;
  t record;
  d record;
  a record;
  who bigint;
  mentioned bigint[];
  target_entity text;
  target_id bigint;
  target_name text;
  pb_tasks int;
begin
  if actor is null then
    return null;
  end if;
  if new.entity = 'tasks' and (new.action = 'create' or (new.action = 'update' and new.changes ? 'owner_id')) then
    -- A task assigned to someone (created for them, or handed over).
    select x.id, x.title, x.owner_id, x.deal_id, y.title as deal_title into t
      from tasks x left join deals y on y.workspace_id = x.workspace_id and y.id = x.deal_id
     where x.workspace_id = ws and x.id = new.entity_id;
    if found and t.owner_id is not null and t.owner_id <> actor then
      perform notifications_add(ws, t.owner_id, 'task_assigned', 'tasks', t.id, actor, new.at,
        jsonb_build_object('task', t.title, 'deal_id', t.deal_id, 'deal', t.deal_title));
    end if;
  elsif new.entity = 'deals' and (new.action = 'create' or (new.action = 'update' and new.changes ? 'owner_id')) then
    -- A deal given to someone (created for them, or handed over).
    select x.id, x.title, x.owner_id into d from deals x where x.workspace_id = ws and x.id = new.entity_id;
    if found and d.owner_id is not null and d.owner_id <> actor then
      perform notifications_add(ws, d.owner_id, 'deal_assigned', 'deals', d.id, actor, new.at, jsonb_build_object('deal', d.title));
    end if;
  elsif new.entity = 'stage_events' and new.action = 'create' then
    -- A move (src/crm/move-deal.ts audits the new history entry after the stage's playbook tasks).
    select e.id as event_id, x.id, x.title, x.owner_id, s.name as stage into d
      from stage_events e
      join deals x on x.workspace_id = e.workspace_id and x.id = e.deal_id
      join stages s on s.workspace_id = e.workspace_id and s.id = e.stage_id
     where e.workspace_id = ws and e.id = new.entity_id;
    if not found then
      return null;
    end if;
    if d.owner_id is not null and d.owner_id <> actor then
      -- The stage's playbook tasks for the owner are counted in this one notification.
      select count(*) into pb_tasks from tasks x
       where x.workspace_id = ws and x.stage_event_id = d.event_id and x.owner_id = d.owner_id;
      perform notifications_add(ws, d.owner_id, 'deal_moved', 'deals', d.id, actor, new.at,
        jsonb_build_object('deal', d.title, 'stage', d.stage, 'tasks', pb_tasks));
    end if;
    -- Playbook tasks the move gave to other people (a template's fixed owner).
    for t in
      select x.id, x.title, x.owner_id from tasks x
       where x.workspace_id = ws and x.stage_event_id = d.event_id and x.owner_id <> actor
         and x.owner_id is distinct from d.owner_id
       order by x.id
    loop
      perform notifications_add(ws, t.owner_id, 'task_assigned', 'tasks', t.id, actor, new.at,
        jsonb_build_object('task', t.title, 'deal_id', d.id, 'deal', d.title));
    end loop;
  elsif new.entity = 'activities' and (new.action = 'create' or (new.action = 'update' and new.changes ? 'notes')) then
    -- An activity or a note: the deal's owner hears of it; the people its notes mention, of that.
    select x.id, x.type, x.subject, x.notes, x.deal_id, x.company_id, x.contact_id, x.lead_id into a
      from activities x where x.workspace_id = ws and x.id = new.entity_id;
    if not found then
      return null;
    end if;
    mentioned := array(select m from unnest(notifications_mentions(ws, a.notes)) m where m <> actor
                       except select m from unnest(notifications_mentions(ws, new.changes -> 'notes' ->> 'from')) m);
    if a.deal_id is not null then
      select 'deals', x.id, x.title, x.owner_id into target_entity, target_id, target_name, who
        from deals x where x.workspace_id = ws and x.id = a.deal_id;
    elsif a.lead_id is not null then
      select 'leads', x.id, x.title into target_entity, target_id, target_name from leads x where x.workspace_id = ws and x.id = a.lead_id;
    elsif a.company_id is not null then
      select 'companies', x.id, x.name into target_entity, target_id, target_name
        from companies x where x.workspace_id = ws and x.id = a.company_id;
    elsif a.contact_id is not null then
      select 'contacts', x.id, x.name into target_entity, target_id, target_name
        from contacts x where x.workspace_id = ws and x.id = a.contact_id;
    end if;
    if target_entity is null then
      return null;
    end if;
    for t in select m from unnest(mentioned) m order by 1 loop
      perform notifications_add(ws, t.m, 'mentioned', target_entity, target_id, actor, new.at,
        jsonb_build_object('target', target_entity, 'name', target_name, 'type', a.type, 'subject', a.subject));
    end loop;
    if new.action = 'create' and who is not null and who <> actor and not (who = any(mentioned)) then
      perform notifications_add(ws, who, 'deal_commented', 'deals', target_id, actor, new.at,
        jsonb_build_object('deal', target_name, 'type', a.type, 'subject', a.subject));
    end if;
  end if;
  return null;
end $$;

create trigger notifications_from_audit after insert on audit_log
  for each row execute function notifications_from_audit();

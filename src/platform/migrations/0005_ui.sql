-- What the web app remembers: each person's start page and menu, the workspace's
-- defaults (which an admin may roll out to everyone), and saved list views.
alter table users add column preferences jsonb not null default '{}'::jsonb;
alter table workspaces add column settings jsonb not null default '{}'::jsonb;

create table saved_views (
  workspace_id bigint not null,
  id bigint generated always as identity,
  user_id bigint not null,
  object_type text not null check (object_type in ('deal', 'company', 'contact', 'lead', 'task', 'activity')),
  name text not null check (length(trim(name)) between 1 and 200),
  query text not null check (length(query) <= 4000),
  shared boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version integer not null default 1,
  primary key (workspace_id, id),
  foreign key (workspace_id, user_id) references users (workspace_id, id) on delete cascade
);

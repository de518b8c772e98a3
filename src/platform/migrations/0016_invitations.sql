-- One-time sign-up links (issue 17): an admin invites a person of the workspace; the link sets
-- their password once and signs them in. Only the SHA-256 of the link's secret is kept; a link
-- works until it is used, replaced by a newer one, or expires.
create table invitations (
  workspace_id bigint not null,
  id bigint generated always as identity,
  user_id bigint not null,
  token_hash text not null,
  created_by bigint,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  used_at timestamptz,
  primary key (workspace_id, id),
  unique (workspace_id, token_hash),
  foreign key (workspace_id, user_id) references users (workspace_id, id) on delete cascade,
  foreign key (workspace_id, created_by) references users (workspace_id, id)
);
create index invitations_user_idx on invitations (workspace_id, user_id) where used_at is null;

grant select, insert, update, delete on invitations to voronka_app;
alter table invitations enable row level security;
create policy workspace_isolation on invitations to voronka_app
  using (workspace_id = nullif(current_setting('voronka.workspace_id', true), '')::bigint)
  with check (workspace_id = nullif(current_setting('voronka.workspace_id', true), '')::bigint);

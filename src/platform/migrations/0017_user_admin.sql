-- User administration (issue 17): a one-time link either invites a person (they set their first
-- password) or resets a password an admin was asked to reset — the admin never types it. One
-- table for both: a newer link of either kind replaces the person's unused ones, and the page of
-- a link says which it is.
alter table invitations add column purpose text not null default 'invite' check (purpose in ('invite', 'reset'));

-- Sign-in failures are counted per e-mail, whether or not the e-mail belongs to anyone, so
-- that a known and an unknown address answer alike (issue 14). Sign-in is the one lookup
-- across workspaces, and so is its counter: the table is global, like the migration record,
-- and lives beside it in voronka_meta — outside the workspace-keyed schema and its
-- row-level security, out of backups (a counter, not data), and written by the owner only.
-- users.failed_logins and users.locked_until (0009) are no longer written.
create table voronka_meta.sign_in_failures (
  -- SHA-256 (hex) of the lower-cased e-mail: no addresses are kept for strangers' guesses.
  email_key text primary key,
  -- Attempts since the last success, counted before the password is checked.
  failures integer not null check (failures > 0),
  last_at timestamptz not null,
  locked_until timestamptz
);
create index sign_in_failures_last_at on voronka_meta.sign_in_failures (last_at);

-- The one definition of the key, for sign-in and for lifting a lock.
create function voronka_meta.sign_in_key(email text) returns text
  language sql immutable strict parallel safe
  return encode(sha256(convert_to(lower(email), 'UTF8')), 'hex');

-- An admin's password reset lifts the person's lock — unless the e-mail also signs in to
-- another workspace, whose account the lock still protects (it then runs its time). Runs
-- as the owner for the request role, for a user of the request's own workspace only.
create function voronka_meta.lift_sign_in_lock(user_id bigint) returns void
  language sql security definer set search_path from current
  begin atomic
    delete from voronka_meta.sign_in_failures f
     using users u
     where u.workspace_id = nullif(current_setting('voronka.workspace_id', true), '')::bigint
       and u.id = lift_sign_in_lock.user_id and u.email is not null
       and f.email_key = voronka_meta.sign_in_key(u.email)
       and not exists (select 1 from users o
                        where lower(o.email) = lower(u.email) and o.workspace_id <> u.workspace_id and o.active);
  end;
revoke all on function voronka_meta.lift_sign_in_lock(bigint) from public;
grant usage on schema voronka_meta to voronka_app;
grant execute on function voronka_meta.lift_sign_in_lock(bigint) to voronka_app;

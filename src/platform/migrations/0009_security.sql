-- API tokens carry scopes; accounts lock for a while after repeated wrong passwords.
alter table api_tokens add column scopes text[] not null default '{read,write}'
  check (cardinality(scopes) between 1 and 2 and scopes <@ '{read,write}'::text[]);
alter table users add column failed_logins integer not null default 0;
alter table users add column locked_until timestamptz;

-- Voronka core schema.
-- Co-location rule (Citus): every table is keyed by workspace_id first, and every
-- foreign key includes workspace_id, so a workspace is the unit of sharding.
-- Money: integer minor units (bigint) + ISO currency. Time: timestamptz (UTC).

create table workspaces (
  workspace_id bigint generated always as identity primary key,
  name text not null check (length(trim(name)) between 1 and 200),
  currency text not null default 'RUB' check (currency ~ '^[A-Z]{3}$'),
  timezone text not null default 'Europe/Moscow',
  locale text not null default 'ru' check (locale in ('ru', 'en')),
  created_at timestamptz not null default now(),
  version integer not null default 1
);
create unique index workspaces_name_key on workspaces (lower(name));

create table users (
  workspace_id bigint not null references workspaces (workspace_id) on delete cascade,
  id bigint generated always as identity,
  email text check (email is null or email ~ '^[^@\s]+@[^@\s]+$'),
  name text not null check (length(trim(name)) between 1 and 200),
  role text not null check (role in ('admin', 'head_of_sales', 'team_lead', 'manager', 'marketer', 'service')),
  password_hash text,
  active boolean not null default true,
  locale text check (locale in ('ru', 'en')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version integer not null default 1,
  primary key (workspace_id, id)
);
create unique index users_email_key on users (workspace_id, lower(email)) where email is not null;
create index users_email_login_idx on users (lower(email)) where email is not null;

create table sessions (
  workspace_id bigint not null,
  id bigint generated always as identity,
  user_id bigint not null,
  token_hash text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  last_seen_at timestamptz not null default now(),
  primary key (workspace_id, id),
  unique (workspace_id, token_hash),
  foreign key (workspace_id, user_id) references users (workspace_id, id) on delete cascade
);

create table api_tokens (
  workspace_id bigint not null,
  id bigint generated always as identity,
  user_id bigint not null,
  name text not null check (length(trim(name)) between 1 and 200),
  token_hash text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz,
  primary key (workspace_id, id),
  unique (workspace_id, token_hash),
  foreign key (workspace_id, user_id) references users (workspace_id, id) on delete cascade
);

create table segments (
  workspace_id bigint not null references workspaces (workspace_id) on delete cascade,
  id bigint generated always as identity,
  name text not null check (length(trim(name)) between 1 and 200),
  kind text not null default 'typical' check (kind in ('typical', 'atypical')),
  position integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version integer not null default 1,
  primary key (workspace_id, id)
);
create unique index segments_name_key on segments (workspace_id, lower(name));

create table channels (
  workspace_id bigint not null references workspaces (workspace_id) on delete cascade,
  id bigint generated always as identity,
  name text not null check (length(trim(name)) between 1 and 200),
  kind text not null default 'inbound' check (kind in ('inbound', 'outbound', 'partner', 'other')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version integer not null default 1,
  primary key (workspace_id, id)
);
create unique index channels_name_key on channels (workspace_id, lower(name));

create table field_blocks (
  workspace_id bigint not null references workspaces (workspace_id) on delete cascade,
  id bigint generated always as identity,
  object_type text not null check (object_type in ('company', 'contact', 'lead', 'deal')),
  name_ru text not null check (length(trim(name_ru)) between 1 and 200),
  name_en text not null check (length(trim(name_en)) between 1 and 200),
  position integer not null default 0,
  pinned boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version integer not null default 1,
  primary key (workspace_id, id),
  unique (workspace_id, object_type, id)
);

create table custom_fields (
  workspace_id bigint not null references workspaces (workspace_id) on delete cascade,
  id bigint generated always as identity,
  object_type text not null check (object_type in ('company', 'contact', 'lead', 'deal')),
  key text not null check (key ~ '^[a-z][a-z0-9_]{0,62}$'),
  label_ru text not null check (length(trim(label_ru)) between 1 and 200),
  label_en text not null check (length(trim(label_en)) between 1 and 200),
  type text not null check (type in ('text', 'number', 'money', 'date', 'choice')),
  choices jsonb not null default '[]'::jsonb,
  block_id bigint,
  position integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version integer not null default 1,
  primary key (workspace_id, id),
  unique (workspace_id, object_type, key),
  foreign key (workspace_id, object_type, block_id) references field_blocks (workspace_id, object_type, id)
);

create table companies (
  workspace_id bigint not null references workspaces (workspace_id) on delete cascade,
  id bigint generated always as identity,
  external_id text,
  name text not null check (length(trim(name)) between 1 and 300),
  inn text check (inn is null or inn ~ '^[0-9]{10}([0-9]{2})?$'),
  industry text,
  website text,
  phone text,
  city text,
  employees integer check (employees is null or employees >= 0),
  owner_id bigint,
  custom jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version integer not null default 1,
  primary key (workspace_id, id),
  foreign key (workspace_id, owner_id) references users (workspace_id, id)
);
create unique index companies_external_key on companies (workspace_id, external_id) where external_id is not null;
create index companies_name_idx on companies (workspace_id, lower(name));

create table contacts (
  workspace_id bigint not null references workspaces (workspace_id) on delete cascade,
  id bigint generated always as identity,
  company_id bigint,
  name text not null check (length(trim(name)) between 1 and 300),
  position text,
  email text,
  phone text,
  is_decision_maker boolean not null default false,
  owner_id bigint,
  custom jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version integer not null default 1,
  primary key (workspace_id, id),
  foreign key (workspace_id, company_id) references companies (workspace_id, id),
  foreign key (workspace_id, owner_id) references users (workspace_id, id)
);
create index contacts_company_idx on contacts (workspace_id, company_id);

create table pipelines (
  workspace_id bigint not null references workspaces (workspace_id) on delete cascade,
  id bigint generated always as identity,
  name text not null check (length(trim(name)) between 1 and 200),
  position integer not null default 0,
  archived boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version integer not null default 1,
  primary key (workspace_id, id)
);
create unique index pipelines_name_key on pipelines (workspace_id, lower(name));

-- Stage order within a pipeline: open stages by position, then won, then lost
-- (kpi.md). `position` is unique per pipeline and already respects that order.
create table stages (
  workspace_id bigint not null,
  id bigint generated always as identity,
  pipeline_id bigint not null,
  name text not null check (length(trim(name)) between 1 and 200),
  kind text not null check (kind in ('open', 'won', 'lost')),
  position integer not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version integer not null default 1,
  primary key (workspace_id, id),
  unique (workspace_id, pipeline_id, id),
  foreign key (workspace_id, pipeline_id) references pipelines (workspace_id, id) on delete cascade
);
create unique index stages_name_key on stages (workspace_id, pipeline_id, lower(name));

create table leads (
  workspace_id bigint not null references workspaces (workspace_id) on delete cascade,
  id bigint generated always as identity,
  title text not null check (length(trim(title)) between 1 and 300),
  company_name text,
  contact_name text,
  email text,
  phone text,
  channel_id bigint,
  owner_id bigint,
  status text not null default 'new' check (status in ('new', 'working', 'qualified', 'disqualified', 'converted')),
  fit_score integer check (fit_score is null or fit_score between 0 and 100),
  company_id bigint,
  contact_id bigint,
  custom jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version integer not null default 1,
  primary key (workspace_id, id),
  foreign key (workspace_id, channel_id) references channels (workspace_id, id),
  foreign key (workspace_id, owner_id) references users (workspace_id, id),
  foreign key (workspace_id, company_id) references companies (workspace_id, id),
  foreign key (workspace_id, contact_id) references contacts (workspace_id, id)
);
create index leads_created_idx on leads (workspace_id, created_at);

create table deals (
  workspace_id bigint not null references workspaces (workspace_id) on delete cascade,
  id bigint generated always as identity,
  external_id text,
  title text not null check (length(trim(title)) between 1 and 300),
  pipeline_id bigint not null,
  -- Current stage: a cache of the last stage entry, written in the same
  -- transaction as the entry and checked against the history by tests.
  stage_id bigint not null,
  status text not null check (status in ('open', 'won', 'lost')),
  stage_entered_at timestamptz not null,
  amount_minor bigint not null default 0 check (amount_minor >= 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  company_id bigint,
  contact_id bigint,
  lead_id bigint,
  owner_id bigint,
  segment_id bigint,
  channel_id bigint,
  region text,
  custom jsonb not null default '{}'::jsonb,
  created_at timestamptz not null,
  closed_at timestamptz,
  updated_at timestamptz not null default now(),
  version integer not null default 1,
  primary key (workspace_id, id),
  foreign key (workspace_id, pipeline_id, stage_id) references stages (workspace_id, pipeline_id, id),
  foreign key (workspace_id, company_id) references companies (workspace_id, id),
  foreign key (workspace_id, contact_id) references contacts (workspace_id, id),
  foreign key (workspace_id, lead_id) references leads (workspace_id, id),
  foreign key (workspace_id, owner_id) references users (workspace_id, id),
  foreign key (workspace_id, segment_id) references segments (workspace_id, id),
  foreign key (workspace_id, channel_id) references channels (workspace_id, id)
);
create unique index deals_external_key on deals (workspace_id, external_id) where external_id is not null;
create index deals_stage_idx on deals (workspace_id, pipeline_id, stage_id);
create index deals_owner_idx on deals (workspace_id, owner_id);
create index deals_company_idx on deals (workspace_id, company_id);

alter table leads add column deal_id bigint;
alter table leads add foreign key (workspace_id, deal_id) references deals (workspace_id, id);

-- The append-only stage history: the source of truth of every funnel report.
create table stage_events (
  workspace_id bigint not null,
  id bigint generated always as identity,
  deal_id bigint not null,
  pipeline_id bigint not null,
  stage_id bigint not null,
  entered_at timestamptz not null,
  recorded_at timestamptz not null default now(),
  user_id bigint,
  reason text,
  source text not null default 'api' check (source in ('api', 'import', 'demo', 'ui')),
  primary key (workspace_id, id),
  foreign key (workspace_id, deal_id) references deals (workspace_id, id),
  foreign key (workspace_id, pipeline_id, stage_id) references stages (workspace_id, pipeline_id, id),
  foreign key (workspace_id, user_id) references users (workspace_id, id)
);
create index stage_events_deal_idx on stage_events (workspace_id, deal_id, entered_at);

create function stage_events_append_only() returns trigger language plpgsql as $$
begin
  if current_setting('voronka.allow_history_purge', true) = 'on' and tg_op = 'DELETE' then
    return old;
  end if;
  raise exception 'the stage history is append-only: record a correction as a new entry'
    using errcode = '55000';
end $$;
create trigger stage_events_append_only before update or delete on stage_events
  for each row execute function stage_events_append_only();

-- Visits derived from the history (entry, exit, next stage), rebuilt for a deal in
-- the same transaction as each new entry; reports read it instead of windowing
-- over the raw history.
create table stage_visits (
  workspace_id bigint not null,
  deal_id bigint not null,
  visit_no integer not null,
  pipeline_id bigint not null,
  stage_id bigint not null,
  entered_at timestamptz not null,
  exited_at timestamptz,
  next_stage_id bigint,
  primary key (workspace_id, deal_id, visit_no),
  foreign key (workspace_id, deal_id) references deals (workspace_id, id),
  foreign key (workspace_id, pipeline_id, stage_id) references stages (workspace_id, pipeline_id, id)
);
create index stage_visits_stage_idx on stage_visits (workspace_id, stage_id, entered_at);

create table activities (
  workspace_id bigint not null references workspaces (workspace_id) on delete cascade,
  id bigint generated always as identity,
  type text not null check (type in ('call', 'meeting', 'demo', 'email', 'proposal')),
  outcome text check (outcome in ('accepted', 'declined', 'held', 'no_show', 'rescheduled', 'no_answer', 'sent', 'replied')),
  at timestamptz not null,
  subject text,
  notes text,
  deal_id bigint,
  company_id bigint,
  contact_id bigint,
  lead_id bigint,
  owner_id bigint,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version integer not null default 1,
  primary key (workspace_id, id),
  foreign key (workspace_id, deal_id) references deals (workspace_id, id),
  foreign key (workspace_id, company_id) references companies (workspace_id, id),
  foreign key (workspace_id, contact_id) references contacts (workspace_id, id),
  foreign key (workspace_id, lead_id) references leads (workspace_id, id),
  foreign key (workspace_id, owner_id) references users (workspace_id, id)
);
create index activities_deal_idx on activities (workspace_id, deal_id, at);
create index activities_at_idx on activities (workspace_id, at);

create table tasks (
  workspace_id bigint not null references workspaces (workspace_id) on delete cascade,
  id bigint generated always as identity,
  title text not null check (length(trim(title)) between 1 and 300),
  type text not null default 'other' check (type in ('call', 'meeting', 'email', 'proposal', 'follow_up', 'document', 'other')),
  status text not null default 'open' check (status in ('open', 'done', 'skipped', 'cancelled')),
  deal_id bigint,
  owner_id bigint,
  due_at timestamptz,
  done_at timestamptz,
  notes text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version integer not null default 1,
  primary key (workspace_id, id),
  check ((status = 'done') = (done_at is not null)),
  check (done_at is null or done_at >= created_at),
  foreign key (workspace_id, deal_id) references deals (workspace_id, id),
  foreign key (workspace_id, owner_id) references users (workspace_id, id)
);
create index tasks_owner_due_idx on tasks (workspace_id, owner_id, due_at);
create index tasks_deal_idx on tasks (workspace_id, deal_id);

create table import_runs (
  workspace_id bigint not null references workspaces (workspace_id) on delete cascade,
  id bigint generated always as identity,
  format text not null,
  source text not null,
  started_at timestamptz not null,
  finished_at timestamptz not null default now(),
  stats jsonb not null,
  primary key (workspace_id, id)
);

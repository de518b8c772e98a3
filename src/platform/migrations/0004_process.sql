-- The deal cycle as configuration: stage requirements and guidance, playbook task
-- templates per stage and segment, the workspace business calendar, atypical
-- deals and their review, and what discipline figures need on tasks and entries.

alter table stages add column guidance_ru text;
alter table stages add column guidance_en text;

-- A field a deal must have filled to enter the stage moving forward; for some segments only.
create table stage_requirements (
  workspace_id bigint not null,
  id bigint generated always as identity,
  pipeline_id bigint not null,
  stage_id bigint not null,
  field text not null check (field ~ '^(title|amount_minor|company_id|contact_id|lead_id|segment_id|channel_id|region|custom\.[a-z][a-z0-9_]{0,62})$'),
  segment_ids bigint[],
  position integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version integer not null default 1,
  primary key (workspace_id, id),
  unique (workspace_id, stage_id, field),
  foreign key (workspace_id, pipeline_id, stage_id) references stages (workspace_id, pipeline_id, id) on delete cascade
);

-- A key task of a stage: created when a deal enters the stage, due a number of
-- calendar or business days after the entry or after another template's task is done.
create table task_templates (
  workspace_id bigint not null,
  id bigint generated always as identity,
  key text check (key is null or key ~ '^[A-Za-z0-9_.-]{1,80}$'),
  pipeline_id bigint not null,
  stage_id bigint not null,
  segment_id bigint,
  title_ru text not null check (length(trim(title_ru)) between 1 and 300),
  title_en text not null check (length(trim(title_en)) between 1 and 300),
  type text not null default 'other' check (type in ('call', 'meeting', 'email', 'proposal', 'follow_up', 'document', 'other')),
  due_days integer not null check (due_days between 0 and 365),
  day_kind text not null default 'business' check (day_kind in ('calendar', 'business')),
  anchor_template_id bigint,
  owner_rule text not null default 'deal_owner' check (owner_rule in ('deal_owner', 'user')),
  owner_id bigint,
  on_stage_exit text not null default 'skip' check (on_stage_exit in ('skip', 'keep_open')),
  position integer not null default 0,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version integer not null default 1,
  primary key (workspace_id, id),
  check ((owner_rule = 'user') = (owner_id is not null)),
  foreign key (workspace_id, pipeline_id, stage_id) references stages (workspace_id, pipeline_id, id) on delete cascade,
  foreign key (workspace_id, segment_id) references segments (workspace_id, id),
  foreign key (workspace_id, anchor_template_id) references task_templates (workspace_id, id),
  foreign key (workspace_id, owner_id) references users (workspace_id, id)
);

create unique index task_templates_key on task_templates (workspace_id, key) where key is not null;

-- The workspace calendar: Monday–Friday are working days unless a date says otherwise
-- (a holiday on a weekday, or a moved working Saturday as in the Russian production calendar).
create table calendar_days (
  workspace_id bigint not null references workspaces (workspace_id) on delete cascade,
  day date not null,
  kind text not null check (kind in ('holiday', 'workday')),
  note text,
  primary key (workspace_id, day)
);

-- Tasks remember where they came from, so a changed playbook never rewrites past tasks.
alter table tasks add column template_id bigint;
alter table tasks add column stage_event_id bigint;
alter table tasks add column stage_id bigint;
alter table tasks add column closed_at timestamptz;
alter table tasks add foreign key (workspace_id, template_id) references task_templates (workspace_id, id);
alter table tasks drop constraint tasks_status_check;
alter table tasks add constraint tasks_status_check check (status in ('open', 'done', 'skipped', 'cancelled'));
update tasks set closed_at = greatest(created_at, updated_at) where status in ('skipped', 'cancelled');
alter table tasks add constraint tasks_closed_check check ((status in ('skipped', 'cancelled')) = (closed_at is not null));
create index tasks_due_idx on tasks (workspace_id, due_at) where template_id is not null;
create index tasks_stage_event_idx on tasks (workspace_id, stage_event_id);

-- Requirements at entry (for card completeness) and forced moves.
alter table stage_events add column required_total integer;
alter table stage_events add column required_filled integer;
alter table stage_events add column forced boolean not null default false;

-- Atypical deals: flagged by a manager (or in an atypical segment) and reviewed by the head of sales.
alter table deals add column atypical boolean not null default false;
alter table deals add column atypical_reason text;
alter table deals add column reviewed_at timestamptz;
alter table deals add column reviewed_by bigint;
alter table deals add column review_decision text check (review_decision in ('typical', 'atypical'));
alter table deals add foreign key (workspace_id, reviewed_by) references users (workspace_id, id);

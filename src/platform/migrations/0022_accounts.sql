-- Key accounts and service (issue 19): contracts of companies by product group, their renewals and
-- churn, and the service cases anyone records (kpi.md, "Key accounts and service").

-- The workspace's gross margin for LTV (kpi.md: 1 by default) and how many business days before a
-- contract's end its renewal task falls due.
alter table workspaces add column gross_margin numeric not null default 1 check (gross_margin > 0 and gross_margin <= 1);
alter table workspaces add column renewal_notice_days integer not null default 30 check (renewal_notice_days between 0 and 250);

-- What is sold under contract: a list the head of sales keeps. Deactivated, never deleted.
create table product_groups (
  workspace_id bigint not null references workspaces (workspace_id) on delete cascade,
  id bigint generated always as identity,
  name text not null check (length(trim(name)) between 1 and 200),
  position integer not null default 0,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version integer not null default 1,
  primary key (workspace_id, id)
);
create unique index product_groups_name_key on product_groups (workspace_id, lower(name));

-- Why a customer left: a list kept like the loss reasons.
create table churn_reasons (
  workspace_id bigint not null references workspaces (workspace_id) on delete cascade,
  id bigint generated always as identity,
  name_ru text not null check (length(trim(name_ru)) between 1 and 200),
  name_en text not null check (length(trim(name_en)) between 1 and 200),
  position integer not null default 0,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version integer not null default 1,
  primary key (workspace_id, id)
);
create unique index churn_reasons_name_ru_key on churn_reasons (workspace_id, lower(name_ru));

-- A contract (subscription): [start_date, end_date) at 00:00 in the workspace zone, a monthly
-- recurring amount in minor units of the workspace currency. A renewal is the next contract
-- (renews_id); a contract marked churned keeps its dates and names why.
create table contracts (
  workspace_id bigint not null references workspaces (workspace_id) on delete cascade,
  id bigint generated always as identity,
  external_id text check (external_id is null or length(external_id) between 1 and 200),
  company_id bigint not null,
  product_group_id bigint not null,
  start_date date not null,
  end_date date not null,
  mrr_minor bigint not null check (mrr_minor >= 0),
  owner_id bigint,
  deal_id bigint,
  renews_id bigint,
  churned_at timestamptz,
  churned_by bigint,
  churn_reason_id bigint,
  churn_note text check (churn_note is null or length(churn_note) <= 2000),
  notes text check (notes is null or length(notes) <= 20000),
  shared_with bigint[] not null default '{}',
  created_by bigint,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version integer not null default 1,
  primary key (workspace_id, id),
  check (end_date > start_date),
  check (churn_reason_id is null or churned_at is not null),
  foreign key (workspace_id, company_id) references companies (workspace_id, id),
  foreign key (workspace_id, product_group_id) references product_groups (workspace_id, id),
  foreign key (workspace_id, owner_id) references users (workspace_id, id),
  foreign key (workspace_id, deal_id) references deals (workspace_id, id),
  foreign key (workspace_id, renews_id) references contracts (workspace_id, id),
  foreign key (workspace_id, churned_by) references users (workspace_id, id),
  foreign key (workspace_id, churn_reason_id) references churn_reasons (workspace_id, id),
  foreign key (workspace_id, created_by) references users (workspace_id, id)
);
create unique index contracts_external_key on contracts (workspace_id, external_id) where external_id is not null;
-- One renewal per contract.
create unique index contracts_renews_key on contracts (workspace_id, renews_id) where renews_id is not null;
create index contracts_company_idx on contracts (workspace_id, company_id, product_group_id, start_date);
create index contracts_end_idx on contracts (workspace_id, end_date);
create index contracts_owner_idx on contracts (workspace_id, owner_id);

-- A service case: a complaint, claim (рекламация), question or praise of a company, recorded by
-- service or by a seller, open → in progress → resolved / rejected.
create table service_cases (
  workspace_id bigint not null references workspaces (workspace_id) on delete cascade,
  id bigint generated always as identity,
  external_id text check (external_id is null or length(external_id) between 1 and 200),
  kind text not null check (kind in ('complaint', 'claim', 'question', 'praise')),
  severity text not null default 'normal' check (severity in ('low', 'normal', 'high', 'critical')),
  company_id bigint not null,
  contact_id bigint,
  deal_id bigint,
  contract_id bigint,
  title text not null check (length(trim(title)) between 1 and 300),
  description text check (description is null or length(description) <= 20000),
  status text not null default 'open' check (status in ('open', 'in_progress', 'resolved', 'rejected')),
  opened_at timestamptz not null,
  closed_at timestamptz,
  recorder_role text not null check (recorder_role in ('service', 'sales')),
  recorded_by bigint,
  owner_id bigint,
  shared_with bigint[] not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version integer not null default 1,
  primary key (workspace_id, id),
  check ((status in ('resolved', 'rejected')) = (closed_at is not null)),
  check (closed_at is null or closed_at >= opened_at),
  foreign key (workspace_id, company_id) references companies (workspace_id, id),
  foreign key (workspace_id, contact_id) references contacts (workspace_id, id),
  foreign key (workspace_id, deal_id) references deals (workspace_id, id),
  foreign key (workspace_id, contract_id) references contracts (workspace_id, id),
  foreign key (workspace_id, recorded_by) references users (workspace_id, id),
  foreign key (workspace_id, owner_id) references users (workspace_id, id)
);
create unique index service_cases_external_key on service_cases (workspace_id, external_id) where external_id is not null;
create index service_cases_company_idx on service_cases (workspace_id, company_id, opened_at);
create index service_cases_opened_idx on service_cases (workspace_id, opened_at);
create index service_cases_deal_idx on service_cases (workspace_id, deal_id) where deal_id is not null;

-- A renewal task points at its contract.
alter table tasks add column contract_id bigint;
alter table tasks add foreign key (workspace_id, contract_id) references contracts (workspace_id, id);
create index tasks_contract_idx on tasks (workspace_id, contract_id) where contract_id is not null;

grant select, insert, update, delete on product_groups, churn_reasons, contracts, service_cases to voronka_app;
alter table product_groups enable row level security;
alter table churn_reasons enable row level security;
alter table contracts enable row level security;
alter table service_cases enable row level security;
create policy workspace_isolation on product_groups to voronka_app
  using (workspace_id = nullif(current_setting('voronka.workspace_id', true), '')::bigint)
  with check (workspace_id = nullif(current_setting('voronka.workspace_id', true), '')::bigint);
create policy workspace_isolation on churn_reasons to voronka_app
  using (workspace_id = nullif(current_setting('voronka.workspace_id', true), '')::bigint)
  with check (workspace_id = nullif(current_setting('voronka.workspace_id', true), '')::bigint);
create policy workspace_isolation on contracts to voronka_app
  using (workspace_id = nullif(current_setting('voronka.workspace_id', true), '')::bigint)
  with check (workspace_id = nullif(current_setting('voronka.workspace_id', true), '')::bigint);
create policy workspace_isolation on service_cases to voronka_app
  using (workspace_id = nullif(current_setting('voronka.workspace_id', true), '')::bigint)
  with check (workspace_id = nullif(current_setting('voronka.workspace_id', true), '')::bigint);

-- Marketing ↔ sales (issue 18): the lead's profile and qualification, touches, spend per channel
-- and month, and the ICP rules with their history (kpi.md, "Marketing ↔ sales").

-- Why a lead was disqualified: a list the marketer and the head of sales keep. A reason out of
-- use is deactivated, never deleted, because leads name it.
create table lead_disqualify_reasons (
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
create unique index lead_disqualify_reasons_name_ru_key on lead_disqualify_reasons (workspace_id, lower(name_ru));

-- The lead's profile fields of kpi.md (industry, employees, region, company = company_name,
-- campaign), its UTM tags, the bundle's lead_id, its qualification and when it was converted.
alter table leads add column industry text check (industry is null or length(industry) <= 200);
alter table leads add column employees integer check (employees is null or employees >= 0);
alter table leads add column region text check (region is null or length(region) <= 200);
alter table leads add column campaign text check (campaign is null or length(campaign) <= 300);
alter table leads add column utm_source text check (utm_source is null or length(utm_source) <= 300);
alter table leads add column utm_medium text check (utm_medium is null or length(utm_medium) <= 300);
alter table leads add column utm_campaign text check (utm_campaign is null or length(utm_campaign) <= 300);
alter table leads add column external_id text check (external_id is null or length(external_id) between 1 and 200);
alter table leads add column disqualify_reason_id bigint;
alter table leads add foreign key (workspace_id, disqualify_reason_id) references lead_disqualify_reasons (workspace_id, id);
alter table leads add column converted_at timestamptz;
-- The ICP version that scored the lead and the rules it matched (0-based positions in that
-- version's list): a past score stays explainable after the rules change.
alter table leads add column icp_version integer;
alter table leads add column icp_matched integer[];
-- A score is the sum of rule points (−100…100 each), no longer a 0–100 figure.
alter table leads drop constraint if exists leads_fit_score_check;
create unique index leads_external_key on leads (workspace_id, external_id) where external_id is not null;
create index leads_deal_idx on leads (workspace_id, deal_id) where deal_id is not null;
create index leads_channel_created_idx on leads (workspace_id, channel_id, created_at);

-- A contact of a lead with a channel at an instant.
create table touches (
  workspace_id bigint not null references workspaces (workspace_id) on delete cascade,
  id bigint generated always as identity,
  lead_id bigint not null,
  channel_id bigint not null,
  at timestamptz not null,
  kind text check (kind is null or kind in ('email', 'webinar', 'event', 'ad_click', 'call', 'referral', 'visit', 'form', 'other')),
  note text check (note is null or length(note) <= 1000),
  created_by bigint,
  created_at timestamptz not null default now(),
  primary key (workspace_id, id),
  foreign key (workspace_id, lead_id) references leads (workspace_id, id) on delete cascade,
  foreign key (workspace_id, channel_id) references channels (workspace_id, id),
  foreign key (workspace_id, created_by) references users (workspace_id, id)
);
create unique index touches_key on touches (workspace_id, lead_id, channel_id, at);

-- What a channel cost in a calendar month (workspace time zone), minor units.
create table marketing_spend (
  workspace_id bigint not null references workspaces (workspace_id) on delete cascade,
  channel_id bigint not null,
  month date not null check (extract(day from month) = 1),
  amount_minor bigint not null check (amount_minor >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version integer not null default 1,
  primary key (workspace_id, channel_id, month),
  foreign key (workspace_id, channel_id) references channels (workspace_id, id)
);

-- Every version of the ICP rules ({"threshold": T, "rules": [...]}, kpi.md): the latest scores.
create table icp_rule_versions (
  workspace_id bigint not null references workspaces (workspace_id) on delete cascade,
  version integer not null check (version >= 1),
  rules jsonb not null,
  created_at timestamptz not null default now(),
  created_by bigint,
  primary key (workspace_id, version),
  foreign key (workspace_id, created_by) references users (workspace_id, id)
);

-- The rules a lead's profile matches, as 0-based positions in the list (kpi.md "Fit score"):
-- `in` is exact string equality (employees compared as its decimal text), `min`/`max` inclusive
-- numeric bounds (employees only, enforced where the rules are saved); an empty field matches nothing.
create function icp_matched(rules jsonb, p_industry text, p_employees integer, p_region text, p_company text, p_campaign text)
  returns integer[] language sql immutable parallel safe as $$
  select coalesce(array_agg((r.i - 1)::int order by r.i), '{}'::int[])
    from jsonb_array_elements(coalesce(rules -> 'rules', '[]'::jsonb)) with ordinality as r(rule, i)
    cross join lateral (select case r.rule ->> 'field'
        when 'industry' then p_industry when 'region' then p_region when 'company' then p_company
        when 'campaign' then p_campaign when 'employees' then p_employees::text end as v) f
   where nullif(trim(f.v), '') is not null
     and case when r.rule ? 'in'
              then exists (select 1 from jsonb_array_elements_text(r.rule -> 'in') x(s) where x.s = f.v)
              else (not r.rule ? 'min' or f.v::numeric >= (r.rule ->> 'min')::numeric)
               and (not r.rule ? 'max' or f.v::numeric <= (r.rule ->> 'max')::numeric) end
$$;

create function icp_points(rules jsonb, matched integer[]) returns integer language sql immutable parallel safe as $$
  select coalesce(sum((rules -> 'rules' -> m ->> 'points')::int), 0)::int from unnest(matched) m
$$;

-- The fit score is a derived copy, kept by this trigger on every path that writes a lead (API,
-- import, demo, bulk) and by a rules change (which sets icp_version on every lead in one
-- statement). Without any rules version the score is whatever was entered by hand; once the
-- workspace has rules, the latest version decides (an empty list: no score).
create function leads_fit() returns trigger language plpgsql as $$
declare
  cur record;
begin
  select v.version, v.rules into cur from icp_rule_versions v
   where v.workspace_id = new.workspace_id order by v.version desc limit 1;
  if found then
    if jsonb_array_length(coalesce(cur.rules -> 'rules', '[]'::jsonb)) = 0 then
      new.icp_matched := null;
      new.fit_score := null;
    else
      new.icp_matched := icp_matched(cur.rules, new.industry, new.employees, new.region, new.company_name, new.campaign);
      new.fit_score := icp_points(cur.rules, new.icp_matched);
    end if;
    new.icp_version := cur.version;
  end if;
  return new;
end $$;
create trigger leads_fit before insert or update of industry, employees, region, company_name, campaign, fit_score, icp_version
  on leads for each row execute function leads_fit();

grant select, insert, update, delete on lead_disqualify_reasons, touches, marketing_spend, icp_rule_versions to voronka_app;
alter table lead_disqualify_reasons enable row level security;
alter table touches enable row level security;
alter table marketing_spend enable row level security;
alter table icp_rule_versions enable row level security;
create policy workspace_isolation on lead_disqualify_reasons to voronka_app
  using (workspace_id = nullif(current_setting('voronka.workspace_id', true), '')::bigint)
  with check (workspace_id = nullif(current_setting('voronka.workspace_id', true), '')::bigint);
create policy workspace_isolation on touches to voronka_app
  using (workspace_id = nullif(current_setting('voronka.workspace_id', true), '')::bigint)
  with check (workspace_id = nullif(current_setting('voronka.workspace_id', true), '')::bigint);
create policy workspace_isolation on marketing_spend to voronka_app
  using (workspace_id = nullif(current_setting('voronka.workspace_id', true), '')::bigint)
  with check (workspace_id = nullif(current_setting('voronka.workspace_id', true), '')::bigint);
create policy workspace_isolation on icp_rule_versions to voronka_app
  using (workspace_id = nullif(current_setting('voronka.workspace_id', true), '')::bigint)
  with check (workspace_id = nullif(current_setting('voronka.workspace_id', true), '')::bigint);

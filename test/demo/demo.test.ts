import sql, { raw } from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccountKpis, accountsReport } from '../../src/accounts/accounts-report.ts';
import { renewalTaskProblems } from '../../src/accounts/renewal-tasks.ts';
import { renewalsDue } from '../../src/accounts/renewals.ts';
import { resolveFunnelQuery } from '../../src/analytics/funnel-query.ts';
import { funnelReport } from '../../src/analytics/funnel-report.ts';
import {
  CHURN_REASONS,
  DEMO_GROSS_MARGIN,
  KEY_ACCOUNT_MANAGER,
  PHONE_SELLER,
  PRODUCT_GROUPS,
  SERVICE_STAFF,
} from '../../src/demo/demo-accounts.ts';
import { CHEAP_CHANNEL, COSTLY_CHANNEL, DEMO_ICP, DISQUALIFY_REASONS, FALLING_CHANNEL } from '../../src/demo/demo-marketing.ts';
import { buildDemoPlan, CHANNELS, DEMO_TZ, type DemoPlan, MANAGERS, SEGMENTS, STAGES } from '../../src/demo/demo-plan.ts';
import { type DemoResult, loadDemo } from '../../src/demo/load-demo.ts';
import { checkHistory } from '../../src/history/check-history.ts';
import { ATTRIBUTION_MODELS, type ChannelsReport, channelsReport } from '../../src/marketing/channels-report.ts';
import { checkMarketing } from '../../src/marketing/check-marketing.ts';
import type { Db } from '../../src/platform/db/types.ts';
import { inWorkspace } from '../../src/platform/db/workspace-scope.ts';
import { AppError } from '../../src/platform/errors.ts';
import { openTestDb } from '../support/test-db.ts';

const AS_OF = new Date('2026-11-20T12:00:00Z');
const DAY = 86_400_000;

describe('the demo plan', () => {
  const plan = buildDemoPlan(7, AS_OF);

  it('is deterministic for a seed and differs between seeds', () => {
    const again = buildDemoPlan(7, AS_OF);
    expect(JSON.stringify(again)).toBe(JSON.stringify(plan));
    const other = buildDemoPlan(8, AS_OF);
    expect(JSON.stringify(other.deals.slice(0, 20))).not.toBe(JSON.stringify(plan.deals.slice(0, 20)));
  });

  it('spans about two years ending at as-of, with every entry in order and none after as-of', () => {
    const first = Math.min(...plan.deals.map((d) => d.events[0].at.getTime()));
    expect((AS_OF.getTime() - first) / DAY).toBeGreaterThan(700);
    for (const d of plan.deals) {
      expect(d.events[0].stage).toBe(0);
      for (let i = 1; i < d.events.length; i++) expect(d.events[i].at.getTime()).toBeGreaterThanOrEqual(d.events[i - 1].at.getTime());
      expect(d.events[d.events.length - 1].at.getTime()).toBeLessThan(AS_OF.getTime());
    }
  });

  it('tells a B2B story: segments differ in cycle and size, managers in results; moves back and reopened deals exist', () => {
    const won = plan.deals.filter((d) => STAGES[d.events[d.events.length - 1].stage].kind === 'won');
    const closed = plan.deals.filter((d) => STAGES[d.events[d.events.length - 1].stage].kind !== 'open');
    const winRate = won.length / closed.length;
    expect(winRate).toBeGreaterThan(0.05);
    expect(winRate).toBeLessThan(0.2);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const cycle = (key: string) =>
      median(
        won.filter((d) => d.segment === key).map((d) => (d.events[d.events.length - 1].at.getTime() - d.events[0].at.getTime()) / DAY),
      );
    const size = (key: string) => median(plan.deals.filter((d) => d.segment === key).map((d) => d.amountMinor));
    expect(cycle('smb')).toBeGreaterThan(20);
    expect(cycle('smb')).toBeLessThan(cycle('mid'));
    expect(cycle('mid')).toBeLessThan(cycle('ent'));
    expect(cycle('ent')).toBeLessThan(190);
    expect(size('smb')).toBeLessThan(size('mid'));
    expect(size('mid')).toBeLessThan(size('ent'));
    expect(new Set(plan.deals.map((d) => d.segment)).size).toBe(SEGMENTS.length);
    expect(new Set(plan.deals.map((d) => d.channel)).size).toBe(CHANNELS.length);
    expect(new Set(plan.deals.map((d) => d.manager)).size).toBe(MANAGERS.length);
    const rates = MANAGERS.map((_, m) => {
      const mine = closed.filter((d) => d.manager === m);
      return mine.filter((d) => won.includes(d)).length / mine.length;
    });
    expect(Math.max(...rates) / Math.min(...rates)).toBeGreaterThan(2);
    const movedBack = plan.deals.filter((d) =>
      d.events.some((e, i) => i > 0 && e.stage < d.events[i - 1].stage && STAGES[d.events[i - 1].stage].kind === 'open'),
    );
    const reopened = plan.deals.filter((d) =>
      d.events.some((e, i) => i > 0 && STAGES[d.events[i - 1].stage].kind === 'lost' && STAGES[e.stage].kind === 'open'),
    );
    expect(movedBack.length).toBeGreaterThan(20);
    expect(reopened.length).toBeGreaterThan(5);
    expect(plan.deals.filter((d) => STAGES[d.events[d.events.length - 1].stage].kind === 'open').length).toBeGreaterThan(80);
    expect(plan.activities.length).toBeGreaterThan(plan.deals.length);
    expect(plan.tasks.filter((t) => t.status === 'open').length).toBeGreaterThan(10);
  });
});

describe('the demo workspace in the database', () => {
  let db: Db;
  let result: DemoResult;
  /** The plan the demo was loaded from, built once for the tests that compare with it. */
  let plan: DemoPlan;
  beforeAll(async () => {
    db = await openTestDb();
    result = await loadDemo(db, { seed: 3, asOf: AS_OF, now: AS_OF });
    plan = buildDemoPlan(3, AS_OF);
  });
  afterAll(async () => {
    await db.close();
  });

  it('writes everything the plan holds, with visits and current stages derived from the history', async () => {
    const ws = result.workspaceId;
    const count = async (t: string) =>
      (await db.query<{ n: number }>(sql`select count(*)::int8 as n from ${sql([t])} where workspace_id = ${ws}`))[0].n;
    expect(await count('deals')).toBe(plan.deals.length);
    expect(await count('stage_events')).toBe(plan.deals.reduce((s, d) => s + d.events.length, 0));
    expect(await count('stage_visits')).toBe(await count('stage_events'));
    expect(await count('activities')).toBe(plan.activities.length);
    const [{ n: playbookTasks }] = await db.query<{ n: number }>(
      sql`select count(*)::int8 as n from tasks where workspace_id = ${ws} and contract_id is null`,
    );
    expect(playbookTasks).toBe(plan.tasks.length);
    expect(await count('tasks')).toBe(result.counts.tasks);
    expect(await count('users')).toBe(12);
    expect(await count('segments')).toBe(4);
    expect(await count('channels')).toBe(6);
    const mismatched = await db.query(sql`
      select d.id from deals d
       where d.workspace_id = ${ws}
         and row(d.stage_id, d.stage_entered_at) is distinct from (
           select row(v.stage_id, v.entered_at) from stage_visits v where v.workspace_id = d.workspace_id and v.deal_id = d.id and v.exited_at is null)`);
    expect(mismatched).toEqual([]);
    const statuses = await db.query<{ status: string; n: number }>(
      sql`select status, count(*)::int8 as n from deals where workspace_id = ${ws} group by 1 order by 1`,
    );
    const expected = ['lost', 'open', 'won'].map((s) => ({
      status: s,
      n: plan.deals.filter((d) => STAGES[d.events[d.events.length - 1].stage].kind === s).length,
    }));
    expect(statuses).toEqual(expected);
  });

  describe('tells a marketing story (issue 18)', () => {
    const report = (params: { from: string; to: string }) =>
      inWorkspace(db, result.workspaceId, async (tx) =>
        channelsReport(tx, await resolveFunnelQuery(tx, result.workspaceId, { ...params, as_of: AS_OF.toISOString() }, AS_OF)),
      );
    const group = (r: ChannelsReport, key: string) => {
      const g = r.groups.find((x) => x.key === key);
      if (!g) throw new Error(`no group ${key}`);
      return g;
    };
    // The last twelve months up to as-of's day, and this quarter (Moscow time) against the one before.
    const YEAR = { from: '2025-11-20', to: '2026-11-20' };
    const QUARTER = { from: '2026-10-01', to: '2027-01-01' };
    const PREVIOUS = { from: '2026-07-01', to: '2026-10-01' };

    it('gives every lead a profile, a journey before its deal and, when disqualified, a reason', async () => {
      const ws = result.workspaceId;
      const [leads] = await db.query<Record<string, number>>(sql`
        select count(*)::int8 as n,
               count(*) filter (where industry is null or employees is null or region is null or campaign is null)::int8 as no_profile,
               count(*) filter (where icp_version = 2 and fit_score is not null)::int8 as scored,
               count(*) filter (where (status = 'disqualified') <> (disqualify_reason_id is not null))::int8 as reason_mismatch,
               count(*) filter (where deal_id is not null and converted_at is null)::int8 as unconverted,
               count(*) filter (where created_at >= ${AS_OF})::int8 as after_as_of
          from leads where workspace_id = ${ws}`);
      expect(leads).toEqual({
        n: plan.leads.length,
        no_profile: 0,
        scored: plan.leads.length,
        reason_mismatch: 0,
        unconverted: 0,
        after_as_of: 0,
      });
      const reasons = await db.query<{ name_ru: string; n: number }>(sql`
        select r.name_ru, count(l.id)::int8 as n from lead_disqualify_reasons r
          left join leads l on l.workspace_id = r.workspace_id and l.disqualify_reason_id = r.id
         where r.workspace_id = ${ws} group by r.id, r.name_ru, r.position order by r.position`);
      expect(reasons.map((r) => r.name_ru)).toEqual(DISQUALIFY_REASONS.map((r) => r.ru));
      for (const r of reasons) expect(r.n, r.name_ru).toBeGreaterThan(50);
      // UTM tags on the digital channels' leads only.
      const utm = await db.query<{ channel: string; tagged: number; n: number }>(sql`
        select c.name as channel, count(*) filter (where utm_source is not null and utm_medium is not null and utm_campaign is not null)::int8 as tagged,
               count(*)::int8 as n
          from leads l join channels c on c.workspace_id = l.workspace_id and c.id = l.channel_id
         where l.workspace_id = ${ws} group by c.name`);
      const digital = ['Заявки с сайта', 'Контекстная реклама', 'E-mail рассылки'];
      for (const u of utm) expect(u.tagged, u.channel).toBe(digital.includes(u.channel) ? u.n : 0);

      const [touches] = await db.query<Record<string, number>>(sql`
        with per as (select l.id, count(t.id) as n, count(distinct t.channel_id) as channels,
                            bool_or(t.at >= d.created_at) as after_deal, bool_or(t.at >= ${AS_OF}) as after_as_of,
                            bool_and(s.kind = 'won') filter (where d.id is not null) as won
                       from leads l
                       left join touches t on t.workspace_id = l.workspace_id and t.lead_id = l.id
                       left join deals d on d.workspace_id = l.workspace_id and d.id = l.deal_id
                       left join stages s on s.workspace_id = d.workspace_id and s.id = d.stage_id
                      where l.workspace_id = ${ws} group by l.id)
        select (select count(*) from touches where workspace_id = ${ws})::int8 as touches,
               count(*) filter (where n between 1 and 4)::int8 as one_to_four,
               count(*) filter (where n = 0)::int8 as none,
               count(*) filter (where after_deal or after_as_of)::int8 as late,
               count(*) filter (where won)::int8 as won,
               count(*) filter (where won and channels >= 2)::int8 as won_multichannel
          from per`);
      expect(touches.touches).toBe(plan.marketing.touches.length);
      expect(touches.none).toBe(0);
      expect(touches.late).toBe(0);
      expect(touches.one_to_four / plan.leads.length).toBeGreaterThan(0.95);
      expect(touches.won_multichannel / touches.won).toBeGreaterThan(0.95);

      // Spend for every channel and month from the history's first month to as-of's.
      const spend = await db.query<{ n: number; first: string; last: string }>(sql`
        select count(*)::int8 as n, to_char(min(month), 'YYYY-MM') as first, to_char(max(month), 'YYYY-MM') as last
          from marketing_spend where workspace_id = ${ws} group by channel_id`);
      expect(spend).toEqual(CHANNELS.map(() => ({ n: 25, first: '2024-11', last: '2026-11' })));
      const versions = await db.query<{ version: number }>(
        sql`select version from icp_rule_versions where workspace_id = ${ws} order by version`,
      );
      expect(versions).toEqual([{ version: 1 }, { version: 2 }]);
    });

    it('over twelve months: one channel costly and poor, one cheap and good', async () => {
      const r = await report(YEAR);
      expect(r.icp).toEqual({ version: 2, threshold: DEMO_ICP.threshold });
      expect(r.groups.map((g) => g.key).sort()).toEqual(CHANNELS.map((c) => c.name).sort());
      const cpo = r.groups.map((g) => g.cost_per_opportunity as number);
      const costly = group(r, COSTLY_CHANNEL);
      const cheap = group(r, CHEAP_CHANNEL);
      expect(costly.cost_per_opportunity).toBe(Math.max(...cpo));
      expect(costly.spend).toBe(Math.max(...r.groups.map((g) => g.spend as number)));
      expect(costly.icp_share as number).toBeLessThan(0.5 * (r.total.icp_share as number));
      expect(cheap.cost_per_opportunity).toBe(Math.min(...cpo));
      expect(cheap.spend).toBe(Math.min(...r.groups.map((g) => g.spend as number)));
      expect(cheap.icp_share).toBe(Math.max(...r.groups.map((g) => g.icp_share as number)));
      expect(cheap.icp_share as number).toBeGreaterThan(0.45);
      // Ten times cheaper an opportunity, not a rounding difference.
      expect(cheap.cost_per_opportunity as number).toBeLessThan((costly.cost_per_opportunity as number) / 10);
    });

    it('this quarter the falling channel’s ICP share dropped well below the previous quarter’s', async () => {
      const now = group(await report(QUARTER), FALLING_CHANNEL);
      const before = group(await report(PREVIOUS), FALLING_CHANNEL);
      expect(now.leads).toBeGreaterThan(50);
      expect(before.leads).toBeGreaterThan(100);
      expect(now.icp_share as number).toBeLessThan(0.6 * (before.icp_share as number));
    });

    it('credits the won amount differently by each attribution model, every model adding up to the funnel’s won_amount', async () => {
      for (const p of [YEAR, QUARTER, PREVIOUS]) {
        const r = await report(p);
        const f = await inWorkspace(db, result.workspaceId, async (tx) =>
          funnelReport(tx, await resolveFunnelQuery(tx, result.workspaceId, { ...p, as_of: AS_OF.toISOString() }, AS_OF)),
        );
        const won = 'groups' in f ? f.total.won_amount : f.won_amount;
        for (const m of ATTRIBUTION_MODELS) {
          const sum = Object.values(r.total.attribution[m]).reduce((a, b) => a + b, 0);
          expect(sum, `${m} ${JSON.stringify(p)}`).toBeCloseTo(won, 4);
        }
      }
      const { attribution: a, won_amount } = (await report(YEAR)).total;
      expect(won_amount).toBeGreaterThan(0);
      // Paid clicks open journeys that other channels close: first touch credits it far more than last touch.
      expect(a.first_touch[COSTLY_CHANNEL]).toBeGreaterThan(3 * a.last_touch[COSTLY_CHANNEL]);
      expect(a.linear[COSTLY_CHANNEL]).toBeLessThan(a.first_touch[COSTLY_CHANNEL]);
      expect(a.linear[COSTLY_CHANNEL]).toBeGreaterThan(a.last_touch[COSTLY_CHANNEL]);
      for (const m of ['last_touch', 'linear', 'position_based'] as const)
        expect(JSON.stringify(a[m]), m).not.toBe(JSON.stringify(a.first_touch));
    });
  });

  describe('tells a key-accounts and service story (issue 19)', () => {
    // The last twelve months up to as-of's day (Moscow time).
    const YEAR = { from: '2025-11-20', to: '2026-11-20' };
    const report = (by?: 'owner') =>
      inWorkspace(db, result.workspaceId, async (tx) =>
        accountsReport(tx, {
          q: await resolveFunnelQuery(tx, result.workspaceId, { ...YEAR, as_of: AS_OF.toISOString(), ...(by ? { by } : {}) }, AS_OF),
          by: by ?? null,
        }),
      );
    const kinds = (x: Record<string, number>) => Object.values(x).reduce((a, b) => a + b, 0);

    it('keeps three product groups, bilingual churn reasons, a gross margin and a service desk', async () => {
      const ws = result.workspaceId;
      const groups = await db.query<{ name: string }>(sql`select name from product_groups where workspace_id = ${ws} order by position`);
      expect(groups.map((g) => g.name)).toEqual([...PRODUCT_GROUPS]);
      const reasons = await db.query<{ ru: string; en: string }>(
        sql`select name_ru as ru, name_en as en from churn_reasons where workspace_id = ${ws} order by position`,
      );
      expect(reasons).toEqual(CHURN_REASONS);
      const [w] = await db.query<{ gross_margin: string }>(sql`select gross_margin from workspaces where workspace_id = ${ws}`);
      expect(Number(w.gross_margin)).toBe(DEMO_GROSS_MARGIN);
      const service = await db.query<{ email: string }>(sql`select email from users where workspace_id = ${ws} and role = 'service'`);
      expect(service).toEqual([{ email: SERVICE_STAFF.email }]);
    });

    it('gives most won deals of the two years a 12-month contract, renewed in chains, never two at once in a product group', async () => {
      const ws = result.workspaceId;
      const [won] = await db.query<Record<string, number>>(sql`
        select count(*)::int8 as won,
               count(*) filter (where exists (select 1 from contracts c where c.workspace_id = d.workspace_id and c.deal_id = d.id))::int8 as contracted
          from deals d where d.workspace_id = ${ws} and d.status = 'won'`);
      expect(won.contracted / won.won).toBeGreaterThan(0.85);
      const [c] = await db.query<Record<string, number>>(sql`
        select count(*)::int8 as n,
               count(*) filter (where c.end_date = (c.start_date + interval '12 months')::date)::int8 as twelve_months,
               count(*) filter (where c.renews_id is not null)::int8 as renewals,
               count(*) filter (where c.renews_id is not null and (p.company_id <> c.company_id or c.start_date not between p.end_date and p.end_date + 31))::int8 as broken_chain,
               count(*) filter (where c.mrr_minor <= 0 or c.owner_id is null)::int8 as without_mrr_or_owner,
               count(*) filter (where c.renews_id is not null and c.mrr_minor > p.mrr_minor)::int8 as expanded,
               count(*) filter (where c.renews_id is not null and c.mrr_minor < p.mrr_minor)::int8 as contracted,
               count(*) filter (where c.churned_at is not null)::int8 as churned,
               count(*) filter (where exists (select 1 from contracts o where o.workspace_id = c.workspace_id and o.company_id = c.company_id
                                 and o.product_group_id = c.product_group_id and o.id <> c.id
                                 and o.start_date < c.end_date and c.start_date < o.end_date))::int8 as overlapping
          from contracts c left join contracts p on p.workspace_id = c.workspace_id and p.id = c.renews_id
         where c.workspace_id = ${ws}`);
      expect(c.twelve_months / c.n).toBeGreaterThan(0.9);
      expect(c.renewals).toBeGreaterThan(40);
      expect(c.broken_chain).toBe(0);
      expect(c.without_mrr_or_owner).toBe(0);
      expect(c.overlapping).toBe(0);
      expect(c.expanded).toBeGreaterThan(15);
      expect(c.contracted).toBeGreaterThan(3);
      expect(c.churned).toBeGreaterThan(5);
      // One key-account manager per account: for enterprise the key-account manager, else the seller who won it.
      const owners = await db.query<{ company_id: number; owners: number; enterprise: boolean; kam: boolean; seller: boolean }>(sql`
        select c.company_id, count(distinct c.owner_id)::int8 as owners, bool_or(s.name = 'Enterprise') as enterprise,
               bool_and(u.name = ${KEY_ACCOUNT_MANAGER}) as kam, bool_or(c.owner_id = d.owner_id) as seller
          from contracts c join deals d on d.workspace_id = c.workspace_id and d.id = c.deal_id
          join segments s on s.workspace_id = d.workspace_id and s.id = d.segment_id
          join users u on u.workspace_id = c.workspace_id and u.id = c.owner_id
         where c.workspace_id = ${ws} group by c.company_id`);
      for (const o of owners) {
        expect(o.owners, JSON.stringify(o)).toBe(1);
        expect(o.enterprise ? o.kam : o.seller, JSON.stringify(o)).toBe(true);
      }
    });

    it('accounts that left had complaints or claims open when they left; renewed ones seldom', async () => {
      const ws = result.workspaceId;
      const openAt = (
        at: string,
      ) => sql`exists (select 1 from service_cases k where k.workspace_id = c.workspace_id and k.company_id = c.company_id
          and k.kind in ('complaint', 'claim') and k.opened_at < ${raw(at)} and (k.closed_at is null or k.closed_at > ${raw(at)}))`;
      // An account left when a contract was not renewed (it ended or was marked churned) and nothing else of it ran on
      // or began within three months (a contract re-signed after a lapse is not a customer lost).
      const [left] = await db.query<Record<string, number>>(sql`
        with ended as (
          select c.*, least((c.end_date::timestamp at time zone ${DEMO_TZ}), coalesce(c.churned_at, 'infinity')) as left_at
            from contracts c
           where c.workspace_id = ${ws} and (c.churned_at is not null or c.end_date <= ${YEAR.to}::date)
             and not exists (select 1 from contracts n where n.workspace_id = c.workspace_id and n.renews_id = c.id)
             and c.churn_reason_id is distinct from (select id from churn_reasons r where r.workspace_id = c.workspace_id and r.name_ru = 'Закрыли бизнес'))
        select count(*)::int8 as n, count(*) filter (where ${openAt('left_at')})::int8 as complained
          from ended c
         where not exists (select 1 from contracts o where o.workspace_id = c.workspace_id and o.company_id = c.company_id and o.id <> c.id
                             and (o.start_date::timestamp at time zone ${DEMO_TZ}) <= c.left_at + interval '3 months'
                             and (o.end_date::timestamp at time zone ${DEMO_TZ}) > c.left_at)`);
      expect(left.n).toBeGreaterThan(8);
      expect(left.complained).toBe(left.n);
      const [renewed] = await db.query<Record<string, number>>(sql`
        select count(*)::int8 as n, count(*) filter (where ${openAt('e')})::int8 as complained
          from (select c.*, (c.end_date::timestamp at time zone 'Europe/Moscow') as e from contracts c
                 where c.workspace_id = ${ws} and exists (select 1 from contracts n where n.workspace_id = c.workspace_id and n.renews_id = c.id)) c`);
      expect(renewed.complained / renewed.n).toBeLessThan(0.25);
    });

    it('cases of every kind, by service and sellers; one seller logs many and solves them on the phone within hours', async () => {
      const ws = result.workspaceId;
      const [all] = await db.query<Record<string, number>>(sql`
        select count(*)::int8 as n, count(distinct kind)::int8 as kinds, count(distinct severity)::int8 as severities,
               count(*) filter (where status in ('open', 'in_progress'))::int8 as open,
               count(*) filter (where opened_at >= ${AS_OF} or closed_at >= ${AS_OF})::int8 as after_as_of
          from service_cases where workspace_id = ${ws}`);
      expect(all.n).toBeGreaterThanOrEqual(150);
      expect(all.n).toBeLessThanOrEqual(300);
      expect(all.kinds).toBe(4);
      expect(all.severities).toBe(4);
      expect(all.open).toBeGreaterThanOrEqual(3);
      expect(all.open / all.n).toBeLessThan(0.15);
      expect(all.after_as_of).toBe(0);
      const by = await db.query<{ name: string; role: string; n: number; resolved: number; median_days: number }>(sql`
        select u.name, k.recorder_role as role, count(*)::int8 as n, count(*) filter (where k.status = 'resolved')::int8 as resolved,
               percentile_cont(0.5) within group (order by extract(epoch from k.closed_at - k.opened_at) / 86400) as median_days
          from service_cases k join users u on u.workspace_id = k.workspace_id and u.id = k.recorded_by
         where k.workspace_id = ${ws} group by 1, 2 order by 3 desc`);
      const sellers = by.filter((r) => r.role === 'sales');
      const service = by.filter((r) => r.role === 'service');
      expect(service.map((r) => r.name)).toEqual([SERVICE_STAFF.name]);
      expect(sellers[0].name).toBe(PHONE_SELLER);
      expect(sellers[0].n).toBeGreaterThan(3 * sellers[1].n);
      expect(sellers[0].resolved / sellers[0].n).toBeGreaterThan(0.85);
      expect(sellers[0].median_days).toBeLessThan(0.25);
      expect(service[0].median_days).toBeGreaterThan(1);
      for (const s of sellers.slice(1)) expect(s.median_days, s.name).toBeGreaterThan(1);
    });

    it('renewals are due in the next 30, 60 and 90 days, each with its renewal task, some with open cases; the checks pass', async () => {
      const ws = result.workspaceId;
      const due = await inWorkspace(db, ws, (tx) => renewalsDue(tx, ws, AS_OF, null, { within: 90 }, 'ru'));
      expect(due.windows[0].contracts).toBeGreaterThan(0);
      expect(due.windows[2].contracts).toBeGreaterThan(10);
      expect(due.items.length).toBe(due.windows[2].contracts);
      for (const i of due.items) expect(i.task_status, `contract ${i.id}`).toBe('open');
      expect(due.items.filter((i) => i.open_cases > 0).length).toBeGreaterThanOrEqual(3);
      const tasks = await db.query<{ title: string; owner_id: number; contract_owner: number }>(sql`
        select t.title, t.owner_id, c.owner_id as contract_owner from tasks t
          join contracts c on c.workspace_id = t.workspace_id and c.id = t.contract_id
         where t.workspace_id = ${ws} and t.contract_id = any(${due.items.map((i) => i.id)}::int8[])`);
      expect(tasks.length).toBe(due.items.length);
      for (const t of tasks) {
        expect(t.title).toMatch(/^Продление договора: /);
        expect(t.owner_id).toBe(t.contract_owner);
      }
      // What bin/voronka check verifies: the renewal tasks, the history, the fit scores.
      const problems = await inWorkspace(db, ws, async (tx) => [...(await checkHistory(tx, ws)), ...(await checkMarketing(tx, ws))]);
      for (const p of problems) expect(p.problems, p.check).toBe(0);
      expect(await inWorkspace(db, ws, (tx) => renewalTaskProblems(tx, ws, AS_OF))).toEqual({ missing: [], stale: [] });
    });

    it('over twelve months the accounts report reads as a head of sales expects', async () => {
      const r = (await report()) as AccountKpis;
      expect(r.renewal_rate as number).toBeGreaterThan(0.6);
      expect(r.renewal_rate as number).toBeLessThan(0.9);
      expect(r.logo_churn_rate as number).toBeGreaterThan(0.05);
      expect(r.logo_churn_rate as number).toBeLessThan(0.2);
      expect(r.nrr as number).toBeGreaterThan(0.9);
      expect(r.nrr as number).toBeLessThan(1.15);
      expect(r.expansion_mrr as number).toBeGreaterThan(0);
      expect(r.contraction_mrr as number).toBeGreaterThan(0);
      expect(r.churned_mrr as number).toBeGreaterThan(0);
      expect(r.cross_sell_rate as number).toBeGreaterThan(0);
      expect(Number.isFinite(r.ltv)).toBe(true);
      expect(r.ltv as number).toBeGreaterThan(12 * ((r.end_mrr as number) / (r.accounts_end as number)));
      expect(r.new_accounts as number).toBeGreaterThan(30);
      for (const k of Object.values(r.cases_per_100_won)) expect(k as number).toBeGreaterThan(5);
      expect(kinds(r.cases_by_recorder.sales) / kinds(r.cases_opened)).toBeGreaterThan(0.25);
      expect(r.case_resolution_days.median as number).toBeGreaterThan(0.25);
      const o = await report('owner');
      if (!('groups' in o)) throw new Error('no groups');
      const sales = o.groups.map((g) => ({ key: g.key, n: kinds(g.cases_by_recorder.sales) }));
      expect(sales.sort((a, b) => b.n - a.n)[0].key).toBe(PHONE_SELLER);
      const phone = o.groups.find((g) => g.key === PHONE_SELLER);
      expect(phone?.case_resolution_days.median as number).toBeLessThan(0.25 * (r.case_resolution_days.median as number));
      // Her accounts seldom leave.
      expect(phone?.logo_churn_rate as number).toBeLessThan(r.logo_churn_rate as number);
    });
  });

  it('refuses to create a second workspace of the same name', async () => {
    await expect(loadDemo(db, { seed: 3, asOf: AS_OF, now: AS_OF })).rejects.toBeInstanceOf(AppError);
    expect(await db.query('select count(*)::int8 as n from workspaces')).toEqual([{ n: 1 }]);
  });
});

import sql from 'sql-template-tag';
import { refreshDeals } from '../history/stage-history.ts';
import { saveIcpRules } from '../marketing/icp.ts';
import { hashPassword } from '../platform/auth/secrets.ts';
import { bulkInsert, reserveIds } from '../platform/db/bulk.ts';
import { analyzeChanged, DATA_TABLES } from '../platform/db/maintenance.ts';
import type { Db, Queryable } from '../platform/db/types.ts';
import { scopeTo } from '../platform/db/workspace-scope.ts';
import { AppError } from '../platform/errors.ts';
import { createWorkspace, findWorkspace } from '../platform/workspaces.ts';
import { importConfig } from '../process/config-doc.ts';
import { loadStages } from '../process/pipelines.ts';
import { B2B_STANDARD_RU as DEMO_STANDARD } from '../process/standard-b2b.ts';
import { planAccounts, SERVICE_STAFF, writeDemoAccounts } from './demo-accounts.ts';
import { DEMO_WORKSPACE } from './demo-name.ts';
import { buildDemoPlan, CHANNELS, DEMO_CURRENCY, DEMO_PASSWORD, DEMO_TZ, MANAGERS, SEGMENTS, STAFF, STAGES } from './demo-plan.ts';

export { DEMO_WORKSPACE };

export interface DemoResult {
  workspaceId: number;
  workspace: string;
  counts: Record<string, number>;
  signIn: { email: string; password: string }[];
}

/** Card blocks: the qualification fields pinned on top; the company profile. */
async function insertFieldBlocks(tx: Queryable, ws: number, now: Date) {
  const block = async (object: string, ru: string, en: string, position: number, pinned: boolean) =>
    (
      await tx.query<{ id: number }>(
        sql`insert into field_blocks (workspace_id, object_type, name_ru, name_en, position, pinned, created_at, updated_at)
            values (${ws}, ${object}, ${ru}, ${en}, ${position}, ${pinned}, ${now}, ${now}) returning id`,
      )
    )[0].id;
  const qual = await block('deal', 'Квалификация', 'Qualification', 1, true);
  const comp = await block('deal', 'Конкуренция и решение', 'Competition and decision', 2, false);
  const profile = await block('company', 'Профиль клиента', 'Client profile', 1, true);
  await tx.query(
    sql`update custom_fields set block_id = ${qual} where workspace_id = ${ws} and object_type = 'deal' and key in ('budget_confirmed', 'decision_maker_known')`,
  );
  await tx.query(
    sql`update custom_fields set block_id = ${comp} where workspace_id = ${ws} and object_type = 'deal' and key in ('competitor', 'decision_date')`,
  );
  await tx.query(
    sql`insert into custom_fields (workspace_id, object_type, key, label_ru, label_en, type, block_id, position, created_at, updated_at)
        values (${ws}, 'company', 'revenue_mln', 'Выручка, млн ₽', 'Revenue, RUB mln', 'number', ${profile}, 1, ${now}, ${now})`,
  );
}

/**
 * Creates the demo workspace from the deterministic plan, in one transaction: a
 * failure leaves no half-made workspace behind.
 */
export async function loadDemo(db: Db, opts: { seed: number; asOf: Date; name?: string; now: Date }): Promise<DemoResult> {
  const name = opts.name ?? DEMO_WORKSPACE;
  if (await findWorkspace(db, name)) {
    throw new AppError('CONFLICT', {
      en: `workspace "${name}" already exists; choose another name with --workspace`,
      ru: `пространство «${name}» уже есть; выберите другое имя через --workspace`,
    });
  }
  const plan = buildDemoPlan(opts.seed, opts.asOf);
  const accounts = planAccounts(opts.seed, opts.asOf, DEMO_TZ, {
    ...plan,
    managers: MANAGERS,
    wonStage: STAGES.findIndex((s) => s.kind === 'won'),
  });
  const hashes = await Promise.all([...STAFF, ...MANAGERS, SERVICE_STAFF].map(() => hashPassword(DEMO_PASSWORD)));
  const { now } = opts;

  const { ws, counts } = await db.transaction(async (tx) => {
    const w = await createWorkspace(tx, { name, currency: DEMO_CURRENCY, timezone: DEMO_TZ, locale: 'ru' }, now);
    const ws = w.workspace_id;
    await scopeTo(tx, ws);
    const people = [
      ...STAFF.map((s) => ({ ...s })),
      ...MANAGERS.map((m) => ({
        name: m.name,
        email: m.email,
        role: 'manager' as const,
      })),
      // The service desk records and works the customers' cases (demo-accounts.ts).
      { ...SERVICE_STAFF },
    ];
    const userIds = await reserveIds(tx, 'users', people.length);
    const start = new Date(opts.asOf.getTime() - 2 * 366 * 86_400_000);
    await bulkInsert(
      tx,
      'users',
      [
        { name: 'workspace_id', type: 'int8', values: people.map(() => ws) },
        { name: 'id', type: 'int8', values: userIds },
        { name: 'name', type: 'text', values: people.map((p) => p.name) },
        { name: 'email', type: 'text', values: people.map((p) => p.email) },
        { name: 'role', type: 'text', values: people.map((p) => p.role) },
        { name: 'password_hash', type: 'text', values: hashes },
        {
          name: 'created_at',
          type: 'timestamptz',
          values: people.map(() => start),
        },
      ],
      { overridingIds: true },
    );
    const managerIds = userIds.slice(STAFF.length, STAFF.length + MANAGERS.length);
    const serviceId = userIds[STAFF.length + MANAGERS.length];

    // The sales standard: segments, deal fields, the pipeline with requirements and playbooks, the calendar.
    await importConfig(tx, ws, DEMO_STANDARD, start);
    await insertFieldBlocks(tx, ws, start);
    const segByName = new Map(
      (await tx.query<{ id: number; name: string }>(sql`select id, name from segments where workspace_id = ${ws}`)).map((r) => [
        r.name,
        r.id,
      ]),
    );
    const segmentIds = new Map(SEGMENTS.map((sg) => [sg.key, segByName.get(sg.name) as number]));
    const channelIds: number[] = [];
    for (const c of CHANNELS) {
      const [r] = await tx.query<{ id: number }>(
        sql`insert into channels (workspace_id, name, kind, created_at) values (${ws}, ${c.name}, ${c.kind}, ${start}) returning id`,
      );
      channelIds.push(r.id);
    }
    const [{ id: pipelineId }] = await tx.query<{ id: number }>(
      sql`select id from pipelines where workspace_id = ${ws} and name = 'Продажи B2B'`,
    );
    const stageRows = await loadStages(tx, ws, pipelineId);
    const stageIds = STAGES.map((s) => {
      const row = stageRows.find((r) => r.name === s.name);
      if (!row) throw new Error(`stage ${s.name} missing`);
      return row;
    });
    const templateIds = new Map(
      (await tx.query<{ id: number; key: string }>(sql`select id, key from task_templates where workspace_id = ${ws}`)).map((r) => [
        r.key,
        r.id,
      ]),
    );

    const companyIds = await reserveIds(tx, 'companies', plan.companies.length);
    await bulkInsert(
      tx,
      'companies',
      [
        {
          name: 'workspace_id',
          type: 'int8',
          values: plan.companies.map(() => ws),
        },
        { name: 'id', type: 'int8', values: companyIds },
        {
          name: 'name',
          type: 'text',
          values: plan.companies.map((c) => c.name),
        },
        { name: 'inn', type: 'text', values: plan.companies.map((c) => c.inn) },
        {
          name: 'industry',
          type: 'text',
          values: plan.companies.map((c) => c.industry),
        },
        {
          name: 'city',
          type: 'text',
          values: plan.companies.map((c) => c.city),
        },
        {
          name: 'employees',
          type: 'int4',
          values: plan.companies.map((c) => c.employees),
        },
        {
          name: 'custom',
          type: 'jsonb',
          values: plan.companies.map((c) => JSON.stringify({ revenue_mln: c.revenueMln })),
        },
        {
          name: 'created_at',
          type: 'timestamptz',
          values: plan.companies.map(() => start),
        },
      ],
      { overridingIds: true },
    );
    const contactIds = await reserveIds(tx, 'contacts', plan.contacts.length);
    await bulkInsert(
      tx,
      'contacts',
      [
        {
          name: 'workspace_id',
          type: 'int8',
          values: plan.contacts.map(() => ws),
        },
        { name: 'id', type: 'int8', values: contactIds },
        {
          name: 'company_id',
          type: 'int8',
          values: plan.contacts.map((c) => companyIds[c.company]),
        },
        {
          name: 'name',
          type: 'text',
          values: plan.contacts.map((c) => c.name),
        },
        {
          name: 'position',
          type: 'text',
          values: plan.contacts.map((c) => c.position),
        },
        {
          name: 'email',
          type: 'text',
          values: plan.contacts.map((c) => c.email),
        },
        {
          name: 'phone',
          type: 'text',
          values: plan.contacts.map((c) => c.phone),
        },
        {
          name: 'is_decision_maker',
          type: 'bool',
          values: plan.contacts.map((c) => c.decisionMaker),
        },
        {
          name: 'created_at',
          type: 'timestamptz',
          values: plan.contacts.map(() => start),
        },
      ],
      { overridingIds: true },
    );

    const dealIds = await reserveIds(tx, 'deals', plan.deals.length);
    const last = (d: (typeof plan.deals)[number]) => d.events[d.events.length - 1];
    await bulkInsert(
      tx,
      'deals',
      [
        {
          name: 'workspace_id',
          type: 'int8',
          values: plan.deals.map(() => ws),
        },
        { name: 'id', type: 'int8', values: dealIds },
        { name: 'title', type: 'text', values: plan.deals.map((d) => d.title) },
        {
          name: 'pipeline_id',
          type: 'int8',
          values: plan.deals.map(() => pipelineId),
        },
        {
          name: 'stage_id',
          type: 'int8',
          values: plan.deals.map((d) => stageIds[last(d).stage].id),
        },
        {
          name: 'status',
          type: 'text',
          values: plan.deals.map((d) => STAGES[last(d).stage].kind),
        },
        {
          name: 'stage_entered_at',
          type: 'timestamptz',
          values: plan.deals.map((d) => last(d).at),
        },
        {
          name: 'amount_minor',
          type: 'int8',
          values: plan.deals.map((d) => d.amountMinor),
        },
        { name: 'currency', type: 'text', values: plan.deals.map(() => DEMO_CURRENCY) },
        {
          name: 'company_id',
          type: 'int8',
          values: plan.deals.map((d) => companyIds[d.company]),
        },
        {
          name: 'contact_id',
          type: 'int8',
          values: plan.deals.map((d) => (d.contact >= 0 ? contactIds[d.contact] : null)),
        },
        {
          name: 'owner_id',
          type: 'int8',
          values: plan.deals.map((d) => managerIds[d.manager]),
        },
        {
          name: 'segment_id',
          type: 'int8',
          values: plan.deals.map((d) => segmentIds.get(d.segment)),
        },
        {
          name: 'channel_id',
          type: 'int8',
          values: plan.deals.map((d) => channelIds[d.channel]),
        },
        {
          name: 'region',
          type: 'text',
          values: plan.deals.map((d) => d.region),
        },
        { name: 'atypical', type: 'bool', values: plan.deals.map((d) => d.atypical !== null) },
        { name: 'atypical_reason', type: 'text', values: plan.deals.map((d) => d.atypical?.reason ?? null) },
        { name: 'review_decision', type: 'text', values: plan.deals.map((d) => d.atypical?.decision ?? null) },
        {
          name: 'reviewed_at',
          type: 'timestamptz',
          values: plan.deals.map((d) => (d.atypical?.decision ? d.events[d.events.length - 1].at : null)),
        },
        {
          name: 'custom',
          type: 'jsonb',
          values: plan.deals.map((d) => JSON.stringify(d.custom)),
        },
        {
          name: 'created_at',
          type: 'timestamptz',
          values: plan.deals.map((d) => d.events[0].at),
        },
        {
          name: 'updated_at',
          type: 'timestamptz',
          values: plan.deals.map((d) => last(d).at),
        },
      ],
      { overridingIds: true },
    );
    const ev = plan.deals.flatMap((d) => d.events.map((e) => ({ deal: dealIds[d.key], owner: managerIds[d.manager], e })));
    const eventIds = await reserveIds(tx, 'stage_events', ev.length);
    // Each deal's entries, to link its tasks to the entry that created them.
    const eventIdOf = new Map<string, number>();
    let k = 0;
    for (const d of plan.deals) for (let v = 0; v < d.events.length; v++) eventIdOf.set(`${d.key}:${v}`, eventIds[k++]);
    await bulkInsert(
      tx,
      'stage_events',
      [
        { name: 'workspace_id', type: 'int8', values: ev.map(() => ws) },
        { name: 'id', type: 'int8', values: eventIds },
        { name: 'deal_id', type: 'int8', values: ev.map((x) => x.deal) },
        { name: 'pipeline_id', type: 'int8', values: ev.map(() => pipelineId) },
        { name: 'stage_id', type: 'int8', values: ev.map((x) => stageIds[x.e.stage].id) },
        { name: 'entered_at', type: 'timestamptz', values: ev.map((x) => x.e.at) },
        { name: 'recorded_at', type: 'timestamptz', values: ev.map((x) => x.e.at) },
        { name: 'user_id', type: 'int8', values: ev.map((x) => x.owner) },
        { name: 'reason', type: 'text', values: ev.map((x) => x.e.reason ?? null) },
        { name: 'source', type: 'text', values: ev.map(() => 'demo') },
        { name: 'forced', type: 'bool', values: ev.map((x) => x.e.forced ?? false) },
        { name: 'required_total', type: 'int4', values: ev.map((x) => x.e.required?.total ?? 0) },
        { name: 'required_filled', type: 'int4', values: ev.map((x) => x.e.required?.filled ?? 0) },
      ],
      { overridingIds: true },
    );
    await refreshDeals(tx, ws, dealIds);

    // Why leads are disqualified: the list the marketer and the head of sales keep.
    const reasonIds: number[] = [];
    for (const [i, r] of plan.marketing.reasons.entries()) {
      const [row] = await tx.query<{ id: number }>(
        sql`insert into lead_disqualify_reasons (workspace_id, name_ru, name_en, position, created_at, updated_at)
            values (${ws}, ${r.ru}, ${r.en}, ${i + 1}, ${start}, ${start}) returning id`,
      );
      reasonIds.push(row.id);
    }
    // The ICP rules, version by version, saved by the marketer before the leads are written: the
    // database scores each lead as it is inserted (the leads_fit trigger, migration 0021) by the
    // version in force, as saveIcpRules would re-score them — one pass instead of two.
    const marketer = userIds[STAFF.findIndex((p) => p.role === 'marketer')];
    for (const v of plan.marketing.icp) await saveIcpRules(tx, ws, v.rules, { userId: marketer, at: v.at });
    const leadIds = await reserveIds(tx, 'leads', plan.leads.length);
    await bulkInsert(
      tx,
      'leads',
      [
        { name: 'workspace_id', type: 'int8', values: plan.leads.map(() => ws) },
        { name: 'id', type: 'int8', values: leadIds },
        { name: 'title', type: 'text', values: plan.leads.map((l) => l.title) },
        {
          name: 'company_name',
          type: 'text',
          values: plan.leads.map((l) => plan.companies[l.company].name),
        },
        {
          name: 'contact_name',
          type: 'text',
          values: plan.leads.map((l) => (l.contact >= 0 ? plan.contacts[l.contact].name : null)),
        },
        {
          name: 'channel_id',
          type: 'int8',
          values: plan.leads.map((l) => channelIds[l.channel]),
        },
        {
          name: 'owner_id',
          type: 'int8',
          values: plan.leads.map((l) => managerIds[l.manager]),
        },
        { name: 'status', type: 'text', values: plan.leads.map((l) => l.status) },
        {
          name: 'company_id',
          type: 'int8',
          values: plan.leads.map((l) => companyIds[l.company]),
        },
        {
          name: 'contact_id',
          type: 'int8',
          values: plan.leads.map((l) => (l.contact >= 0 ? contactIds[l.contact] : null)),
        },
        {
          name: 'deal_id',
          type: 'int8',
          values: plan.leads.map((l) => (l.deal === null ? null : dealIds[l.deal])),
        },
        {
          name: 'created_at',
          type: 'timestamptz',
          values: plan.leads.map((l) => l.createdAt),
        },
        {
          name: 'updated_at',
          type: 'timestamptz',
          values: plan.leads.map((l) => l.convertedAt ?? l.createdAt),
        },
        { name: 'industry', type: 'text', values: plan.leads.map((l) => l.industry) },
        { name: 'employees', type: 'int4', values: plan.leads.map((l) => l.employees) },
        { name: 'region', type: 'text', values: plan.leads.map((l) => l.region) },
        { name: 'campaign', type: 'text', values: plan.leads.map((l) => l.campaign) },
        { name: 'utm_source', type: 'text', values: plan.leads.map((l) => l.utm?.source ?? null) },
        { name: 'utm_medium', type: 'text', values: plan.leads.map((l) => l.utm?.medium ?? null) },
        { name: 'utm_campaign', type: 'text', values: plan.leads.map((l) => l.utm?.campaign ?? null) },
        {
          name: 'disqualify_reason_id',
          type: 'int8',
          values: plan.leads.map((l) => (l.reason === null ? null : reasonIds[l.reason])),
        },
        { name: 'converted_at', type: 'timestamptz', values: plan.leads.map((l) => l.convertedAt) },
      ],
      { overridingIds: true },
    );
    const mk = plan.marketing;
    await bulkInsert(tx, 'touches', [
      { name: 'workspace_id', type: 'int8', values: mk.touches.map(() => ws) },
      { name: 'lead_id', type: 'int8', values: mk.touches.map((t) => leadIds[t.lead]) },
      { name: 'channel_id', type: 'int8', values: mk.touches.map((t) => channelIds[t.channel]) },
      { name: 'at', type: 'timestamptz', values: mk.touches.map((t) => t.at) },
      { name: 'kind', type: 'text', values: mk.touches.map((t) => t.kind) },
      { name: 'created_at', type: 'timestamptz', values: mk.touches.map((t) => t.at) },
    ]);
    // Spend as the marketer enters it, at the start of each month.
    await bulkInsert(tx, 'marketing_spend', [
      { name: 'workspace_id', type: 'int8', values: mk.spend.map(() => ws) },
      { name: 'channel_id', type: 'int8', values: mk.spend.map((e) => channelIds[e.channel]) },
      { name: 'month', type: 'date', values: mk.spend.map((e) => `${e.month}-01`) },
      { name: 'amount_minor', type: 'int8', values: mk.spend.map((e) => e.amountMinor) },
      { name: 'created_at', type: 'timestamptz', values: mk.spend.map((e) => e.monthStart) },
      { name: 'updated_at', type: 'timestamptz', values: mk.spend.map((e) => e.monthStart) },
    ]);

    await tx.query(
      sql`update deals d set lead_id = l.id from leads l
             where d.workspace_id = ${ws} and l.workspace_id = d.workspace_id and l.deal_id = d.id`,
    );
    await bulkInsert(tx, 'activities', [
      {
        name: 'workspace_id',
        type: 'int8',
        values: plan.activities.map(() => ws),
      },
      {
        name: 'type',
        type: 'text',
        values: plan.activities.map((a) => a.type),
      },
      {
        name: 'outcome',
        type: 'text',
        values: plan.activities.map((a) => a.outcome),
      },
      {
        name: 'at',
        type: 'timestamptz',
        values: plan.activities.map((a) => a.at),
      },
      {
        name: 'subject',
        type: 'text',
        values: plan.activities.map((a) => a.subject),
      },
      {
        name: 'deal_id',
        type: 'int8',
        values: plan.activities.map((a) => dealIds[a.deal]),
      },
      {
        name: 'company_id',
        type: 'int8',
        values: plan.activities.map((a) => companyIds[plan.deals[a.deal].company]),
      },
      {
        name: 'owner_id',
        type: 'int8',
        values: plan.activities.map((a) => managerIds[a.manager]),
      },
      {
        name: 'created_at',
        type: 'timestamptz',
        values: plan.activities.map((a) => a.at),
      },
      {
        name: 'updated_at',
        type: 'timestamptz',
        values: plan.activities.map((a) => a.at),
      },
    ]);
    await bulkInsert(tx, 'tasks', [
      { name: 'workspace_id', type: 'int8', values: plan.tasks.map(() => ws) },
      { name: 'title', type: 'text', values: plan.tasks.map((t) => t.title) },
      { name: 'type', type: 'text', values: plan.tasks.map((t) => t.type) },
      { name: 'status', type: 'text', values: plan.tasks.map((t) => t.status) },
      { name: 'deal_id', type: 'int8', values: plan.tasks.map((t) => dealIds[t.deal]) },
      { name: 'owner_id', type: 'int8', values: plan.tasks.map((t) => managerIds[t.manager]) },
      { name: 'due_at', type: 'timestamptz', values: plan.tasks.map((t) => t.dueAt) },
      { name: 'done_at', type: 'timestamptz', values: plan.tasks.map((t) => t.doneAt) },
      { name: 'closed_at', type: 'timestamptz', values: plan.tasks.map((t) => t.closedAt) },
      { name: 'created_at', type: 'timestamptz', values: plan.tasks.map((t) => t.createdAt) },
      { name: 'updated_at', type: 'timestamptz', values: plan.tasks.map((t) => t.doneAt ?? t.closedAt ?? t.createdAt) },
      { name: 'template_id', type: 'int8', values: plan.tasks.map((t) => templateIds.get(t.templateKey) as number) },
      { name: 'stage_event_id', type: 'int8', values: plan.tasks.map((t) => eventIdOf.get(`${t.deal}:${t.event}`) as number) },
      { name: 'stage_id', type: 'int8', values: plan.tasks.map((t) => stageIds[plan.deals[t.deal].events[t.event].stage].id) },
    ]);
    // Contracts of the won deals, their renewals and churn, the service cases; the renewal tasks.
    const acc = await writeDemoAccounts(tx, ws, accounts, {
      asOf: opts.asOf,
      since: start,
      tz: DEMO_TZ,
      companyIds,
      contactIds,
      dealIds,
      managerIds,
      serviceId,
    });
    const counts = {
      users: people.length,
      companies: plan.companies.length,
      contacts: plan.contacts.length,
      deals: plan.deals.length,
      stage_events: ev.length,
      leads: plan.leads.length,
      activities: plan.activities.length,
      tasks: plan.tasks.length + acc.renewalTasks,
    };
    await analyzeChanged(
      tx,
      [...DATA_TABLES, 'touches', 'marketing_spend', 'contracts', 'service_cases'],
      Object.values(counts).reduce((a, b) => a + b, 0) + mk.touches.length + mk.spend.length + acc.contracts + acc.cases,
    );
    return { ws, counts };
  });
  return {
    workspaceId: ws,
    workspace: name,
    counts,
    signIn: [STAFF[0], STAFF[1], MANAGERS[1]].map((p) => ({
      email: p.email,
      password: DEMO_PASSWORD,
    })),
  };
}

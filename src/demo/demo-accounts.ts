import { DateTime } from 'luxon';
import sql from 'sql-template-tag';
import { syncRenewalTasks } from '../accounts/renewal-tasks.ts';
import { bulkInsert, reserveIds } from '../platform/db/bulk.ts';
import type { Queryable } from '../platform/db/types.ts';
import { toMinor } from '../platform/money.ts';
import { Rand } from '../platform/random.ts';
import type { PlanCompany, PlanContact, PlanDeal } from './demo-records.ts';

/**
 * The demo's key accounts and service story (issue 19), laid over the sales plan of demo-plan.ts.
 * It draws from its own random stream, so the deals, leads and marketing of a seed stay exactly as
 * they were. What the accounts dashboard should tell a head of sales:
 *
 * - Most won deals of the two years became a 12-month contract in one of three product groups
 *   (the deal's product names it). The MRR is the deal's amount over twelve months, less what is
 *   one-off work (an implementation's project, more of it the bigger the customer); a customer's
 *   next deal recurs at half that. Enterprise accounts are handed to the key-account manager, the
 *   others stay with the seller who won them.
 * - Most contracts are renewed at their end — many with the yearly indexation, some with an
 *   expansion (more licences, a second deal re-signed early) or a contraction; some accounts add
 *   «Поддержка 24/7» at the renewal (cross-sell), a few drop an add-on, a few re-sign only after
 *   a lapse of over a month (a new contract, not a renewal). Small accounts leave more often than
 *   big ones; enterprise accounts stay. Over any twelve months NRR is about 0.9–1.1, the renewal
 *   rate about 0.75–0.9, logo churn about 10–18 % (the draws are systematic, so the shares hold
 *   whatever the seed and the day the demo is loaded).
 * - Accounts that leave had complaints and claims open when they left; most are marked churned
 *   with a reason, a few just let the contract run out. A couple announced their leaving already.
 * - Service cases of every kind, recorded by the service desk and by sellers. One seller,
 *   «Наталья Волкова», logs many of her accounts' problems herself and solves most of them on the
 *   phone within hours; her accounts rarely leave. The service desk takes days, sellers who pass
 *   problems on take longer; a few cases are still open — some at accounts whose renewal is due.
 * - Renewals due in the next 30/60/90 days, each with its renewal task (syncRenewalTasks).
 */

export const PRODUCT_GROUPS = ['Лицензии ПО', 'Внедрение и интеграции', 'Поддержка 24/7'] as const;
const LICENCES = 0;
const IMPLEMENTATION = 1;
const SUPPORT = 2;

/** The deal's product (the start of its title, demo-plan.ts's PRODUCTS) → its product group and the share of its amount that recurs. */
const PRODUCT_GROUP: Record<string, [group: number, recurring: number]> = {
  'Система мониторинга оборудования': [LICENCES, 1],
  'Модуль планирования': [LICENCES, 1],
  'Складская система': [LICENCES, 1],
  'Аналитическая платформа': [LICENCES, 1],
  // An implementation: half of it is the one-off project, the rest the monthly retainer.
  'Внедрение MES': [IMPLEMENTATION, 0.5],
  'Интеграция с 1С': [IMPLEMENTATION, 0.5],
  'Лицензии и поддержка': [SUPPORT, 1],
};

/** Why a customer left (churn_reasons), in list order. */
export const CHURN_REASONS = [
  { ru: 'Ушли к конкуренту', en: 'Moved to a competitor' },
  { ru: 'Недовольны сервисом', en: 'Unhappy with the service' },
  { ru: 'Сократили бюджет', en: 'Cut the budget' },
  { ru: 'Закрыли бизнес', en: 'Closed the business' },
  { ru: 'Проект заморожен', en: 'Project frozen' },
];
const COMPETITOR = 0;
const SERVICE_REASON = 1;
const BUDGET = 2;
const CLOSED = 3;
const CHURN_NOTES: Record<number, string[]> = {
  [COMPETITOR]: ['Перешли на 1С:ERP', 'Выбрали SAP по решению холдинга', 'Ушли к интегратору с собственной разработкой'],
  [SERVICE_REASON]: ['Не устроили сроки исправления ошибок', 'Повторные сбои синхронизации', 'Претензии к качеству внедрения'],
  [BUDGET]: ['Бюджет на ИТ урезан на следующий год', 'Оптимизация расходов по решению собственника'],
  [CLOSED]: ['Компания ликвидирована', 'Производство продано'],
  4: ['Модернизация цеха отложена', 'Ждут решения головной компании'],
};

/** The service desk of the demo (a `service` user, load-demo.ts adds it to the staff). */
export const SERVICE_STAFF = { name: 'Ирина Захарова', email: 'service@demo.voronka.local', role: 'service' as const };
/** The seller who solves her customers' problems on the phone and logs them as cases herself. */
export const PHONE_SELLER = 'Наталья Волкова';
/** The key-account manager who takes over the enterprise accounts. */
export const KEY_ACCOUNT_MANAGER = 'Мария Кузнецова';
/** The workspace's gross margin for LTV. */
export const DEMO_GROSS_MARGIN = 0.7;

export type CaseKind = 'complaint' | 'claim' | 'question' | 'praise';
type Severity = 'low' | 'normal' | 'high' | 'critical';
/** Who recorded a case: the service desk, or a manager (index in MANAGERS) as a seller. */
export type Recorder = 'service' | number;

export interface PlanContract {
  key: number;
  company: number;
  group: number;
  /** YYYY-MM-DD, inclusive; the end exclusive. */
  start: string;
  end: string;
  mrrMinor: number;
  /** The key-account manager (index in MANAGERS). */
  owner: number;
  deal: number | null;
  renews: number | null;
  createdAt: Date;
  churn: { at: Date; reason: number; note: string | null } | null;
  notes: string | null;
}
export interface PlanCase {
  kind: CaseKind;
  severity: Severity;
  company: number;
  contact: number;
  deal: number | null;
  contract: number;
  title: string;
  description: string | null;
  status: 'open' | 'in_progress' | 'resolved' | 'rejected';
  openedAt: Date;
  closedAt: Date | null;
  recorder: Recorder;
}
export interface PlanAccounts {
  groups: readonly string[];
  reasons: { ru: string; en: string }[];
  contracts: PlanContract[];
  cases: PlanCase[];
  /** The accounts that left: the company, the contract that was not renewed and when it left (the churn mark or the end). */
  left: { company: number; contract: number; at: Date }[];
}

const TITLES: Record<CaseKind, string[]> = {
  complaint: [
    'Медленно формируются отчёты',
    'Не приходят уведомления о простоях',
    'Сбой синхронизации с 1С',
    'Долго отвечает поддержка',
    'Ошибки в расчёте плана производства',
    'Интерфейс зависает на планшетах в цехе',
    'Сорваны сроки этапа внедрения',
  ],
  claim: [
    'Рекламация: модуль не соответствует ТЗ',
    'Рекламация: потеря данных после обновления',
    'Рекламация: простой линии из-за сбоя системы',
    'Рекламация: работы по акту не выполнены',
  ],
  question: [
    'Как настроить права доступа для мастеров',
    'Как выгрузить отчёт по OEE в Excel',
    'Вопрос по продлению лицензий',
    'Как добавить новое оборудование в мониторинг',
    'Вопрос по счёту и закрывающим документам',
    'Как подключить второй склад',
    'Где посмотреть историю изменений заказа',
  ],
  praise: ['Благодарность за быстрый запуск', 'Спасибо команде поддержки', 'Отзыв: простои сократились на 15 %', 'Благодарность менеджеру'],
};
const LEAVING_TITLES = [
  'Повторный сбой синхронизации с 1С',
  'Недовольны сроками исправления ошибок',
  'Претензия к качеству внедрения',
  'Рекламация: система не выдерживает нагрузку',
  'Рекламация: отчёты для аудита с ошибками',
];
const SEVERITY: Record<CaseKind, [Severity, number][]> = {
  complaint: [
    ['normal', 55],
    ['high', 35],
    ['low', 10],
  ],
  claim: [
    ['high', 55],
    ['critical', 30],
    ['normal', 15],
  ],
  question: [
    ['low', 55],
    ['normal', 45],
  ],
  praise: [['low', 100]],
};
/** Days the service desk takes to close a case, median. */
const SERVICE_DAYS: Record<CaseKind, number> = { question: 1.5, complaint: 5, claim: 12, praise: 0.3 };

/** The share of a deal's amount that recurs, per segment (the rest is one-off work). */
const RECURRING = { smb: 1, mid: 0.8, ent: 0.5 };
/** The chance an account leaves at the end of a contract, per segment. */
const CHURN = { smb: 0.24, mid: 0.15, ent: 0 };

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** Plans the contracts and cases over the sales plan (`wonStage`: the won stage's index). */
export function planAccounts(
  seed: number,
  asOf: Date,
  tz: string,
  plan: {
    companies: PlanCompany[];
    contacts: PlanContact[];
    deals: PlanDeal[];
    managers: { name: string }[];
    wonStage: number;
  },
): PlanAccounts {
  // Its own stream: the sales and marketing plans drawn before it stay what they were.
  const rand = new Rand(seed * 7919 + 19);
  const end = asOf.getTime();
  const todayIso = iso(DateTime.fromMillis(end, { zone: tz }));
  const phone = plan.managers.findIndex((m) => m.name === PHONE_SELLER);
  const kam = plan.managers.findIndex((m) => m.name === KEY_ACCOUNT_MANAGER);
  if (phone < 0 || kam < 0) throw new Error('demo accounts: the phone seller or the key-account manager is missing');
  const contactOf = new Map<number, number>();
  for (const c of plan.contacts) if (!contactOf.has(c.company)) contactOf.set(c.company, c.key);
  // 00:00 of a day in the zone, asked for the same few hundred days again and again.
  const midnight = new Map<string, number>();
  const instant = (day: string) => {
    const known = midnight.get(day);
    if (known !== undefined) return known;
    const t = DateTime.fromISO(day, { zone: tz }).toMillis();
    midnight.set(day, t);
    return t;
  };
  /** The same day in office hours (a contract is signed, a case raised, between 9 and 19). */
  const officeHours = (t: number) =>
    DateTime.fromMillis(t, { zone: tz })
      .set({ hour: rand.int(9, 18), minute: rand.int(0, 59), second: 0, millisecond: 0 })
      .toMillis();
  const wonAt = (d: PlanDeal) => d.events[d.events.length - 1].at.getTime();

  const won = plan.deals
    .filter((d) => d.events[d.events.length - 1].stage === plan.wonStage)
    // A free pilot brings no contract; a few one-off deliveries neither.
    .filter((d) => !d.atypical?.reason.startsWith('Пилот') && !rand.chance(0.05))
    .sort((a, b) => wonAt(a) - wonAt(b) || a.key - b.key);
  const byCompany = new Map<number, PlanDeal[]>();
  for (const d of won) byCompany.set(d.company, [...(byCompany.get(d.company) ?? []), d]);

  const contracts: PlanContract[] = [];
  const left: PlanAccounts['left'] = [];
  // The deal's amount is its first year; the bigger the customer, the more of it is one-off work
  // (the project, the equipment) rather than the monthly fee.
  const mrrOf = (d: PlanDeal) => {
    const [, recurring] = PRODUCT_GROUP[productOf(d)] ?? [LICENCES, 1];
    return roundMrr((d.amountMinor * recurring * RECURRING[d.segment]) / 12);
  };
  const groupOf = (d: PlanDeal) => (PRODUCT_GROUP[productOf(d)] ?? [LICENCES, 1])[0];
  const add = (c: Omit<PlanContract, 'key'>) => {
    const x = { ...c, key: contracts.length };
    contracts.push(x);
    return x;
  };
  const reason = (weights: number[]) => rand.weighted(weights.map((w, i) => [i, w] as const));
  // Drawn systematically: over the demo's few hundred contracts the shares stay close to their
  // chances whatever the seed and the day it is loaded, so the figures tell the same story.
  const leaves = { smb: systematic(rand), mid: systematic(rand), ent: systematic(rand) };
  const phoneLeaves = systematic(rand);
  const drops = systematic(rand);
  const changes = deck(rand, [
    ['same', 19],
    ['index', 20],
    ['up', 4],
    ['down', 7],
  ] as const);
  const churnMark = (at: number, r: number) => ({
    at: new Date(Math.min(at, end - HOUR)),
    reason: r,
    note: rand.chance(0.7) ? rand.pick(CHURN_NOTES[r]) : null,
  });

  for (const [company, wins] of byCompany) {
    const seg = plan.companies[company].segment;
    const owner = seg === 'ent' ? kam : wins[0].manager;
    interface Chain {
      group: number;
      cur: PlanContract;
      live: boolean;
    }
    const chains: Chain[] = [];
    const deadEnd = new Map<number, string>();
    /** The renewal of a chain's contract from `start` (by default its end), with the year's change. */
    const renew = (ch: Chain, start: string, signedAt: number, change?: { mrrMinor: number; deal: number; note: string }) => {
      const cur = ch.cur;
      let mrr = cur.mrrMinor;
      let note: string | null = null;
      if (change) {
        mrr = change.mrrMinor;
        note = change.note;
      } else {
        // The year's change: mostly none or the indexation, now and then more licences or fewer —
        // by a smaller share for the big accounts, whose contracts are negotiated line by line.
        const big = mrr > toMinor(400_000, 'RUB') ? 0.5 : 1;
        const kind = changes();
        if (kind === 'index') {
          const pct = rand.int(4, 8);
          mrr = roundMrr((mrr * (100 + pct)) / 100);
          note = `Продление с индексацией ${pct} %`;
        } else if (kind === 'up') {
          mrr = roundMrr(mrr * (1 + big * rand.between(0.2, 0.45)));
          note = rand.pick(['Расширение: больше пользователей', 'Расширение: подключили второй цех', 'Расширение: новые модули']);
        } else if (kind === 'down') {
          mrr = roundMrr(mrr * (1 - big * rand.between(0.15, 0.4)));
          note = rand.pick(['Сокращение: отказались от части лицензий', 'Сокращение: закрыли один из складов']);
        }
      }
      const next = add({
        company,
        group: ch.group,
        start,
        end: yearAfter(start),
        mrrMinor: mrr,
        owner,
        deal: change?.deal ?? cur.deal,
        renews: cur.key,
        createdAt: new Date(Math.min(signedAt, end - HOUR)),
        churn: null,
        notes: note,
      });
      ch.cur = next;
      // Cross-sell at the renewal: 24/7 support added to the licences or the implementation.
      if (ch.group !== SUPPORT && !chains.some((o) => o.live && o.group === SUPPORT) && !deadEnd.has(SUPPORT) && rand.chance(0.15)) {
        chains.push({
          group: SUPPORT,
          live: true,
          cur: add({
            ...next,
            group: SUPPORT,
            mrrMinor: roundMrr(next.mrrMinor * rand.between(0.1, 0.2)),
            deal: null,
            renews: null,
            notes: 'Допродажа при продлении: поддержка 24/7',
          }),
        });
      }
    };

    let wi = 0;
    for (let guard = 0; guard < 100; guard++) {
      const win = wins[wi];
      const due = chains.filter((ch) => ch.live && ch.cur.end <= todayIso).sort((a, b) => (a.cur.end < b.cur.end ? -1 : 1))[0];
      if (!win && !due) break;
      if (win && (!due || wonAt(win) < instant(due.cur.end))) {
        wi++;
        const g = groupOf(win);
        const signed = Math.max(wonAt(win), officeHours(wonAt(win) + rand.between(0, 3) * DAY));
        let start = plusDays(iso(DateTime.fromMillis(wonAt(win), { zone: tz })), rand.int(1, 10));
        // A customer's next deal builds on what it has (the integration, the customer's price): half
        // of what a new customer's would recurs.
        const ch = chains.find((x) => x.live && x.group === g);
        if (ch) {
          // Another deal of the same product group while a contract runs: in the same contract when
          // it has just begun, else re-signed early with the expansion (or renewed with it at the end).
          if (daysBetween(ch.cur.start, start) < 30) {
            ch.cur.mrrMinor += roundMrr(mrrOf(win) / 2);
            continue;
          }
          if (start >= ch.cur.end) start = ch.cur.end;
          else ch.cur.end = start;
          const more = roundMrr(mrrOf(win) / 2);
          renew(ch, start, signed, { mrrMinor: ch.cur.mrrMinor + more, deal: win.key, note: 'Расширение: перезаключён досрочно' });
          continue;
        }
        // Won back after leaving: the new contract is not the old one's renewal (kpi.md: 31 days).
        const gone = deadEnd.get(g);
        if (gone && start <= plusDays(gone, 31)) start = plusDays(gone, 32);
        chains.push({
          group: g,
          live: true,
          cur: add({
            company,
            group: g,
            start,
            end: yearAfter(start),
            mrrMinor: chains.some((x) => x.live) ? roundMrr(mrrOf(win) / 2) : mrrOf(win),
            owner,
            deal: win.key,
            renews: null,
            createdAt: new Date(Math.min(signed, end - HOUR)),
            churn: null,
            notes: null,
          }),
        });
        continue;
      }
      // A contract ended before today: renewed, or not.
      const e = due.cur.end;
      const eAt = instant(e);
      const comingBack = wins.slice(wi).some((w) => groupOf(w) === due.group && wonAt(w) < eAt + 45 * DAY);
      const running = chains.filter((o) => o !== due && o.live && o.cur.end > e);
      const others = running.length > 0;
      // A customer drops an add-on, not the core: only a product group smaller than the rest.
      const droppable = running.reduce((sum, o) => sum + o.cur.mrrMinor, 0) > due.cur.mrrMinor;
      // Small accounts leave more often, the big and the key accounts stay; those of the seller who
      // solves problems on the phone seldom leave.
      const pChurn = CHURN[seg] * (owner === phone ? 0.3 : 1) * (due.cur.mrrMinor > toMinor(200_000, 'RUB') ? 0.4 : 1);
      const renews = comingBack || !(others ? droppable && drops(0.6) : (owner === phone ? phoneLeaves : leaves[seg])(pChurn));
      if (renews) {
        // Mostly from the end; now and then signed late, a few weeks into the gap — or after a
        // lapse of over a month (procurement approved it anew): a new contract, not a renewal (kpi.md).
        const lapse = !comingBack && rand.chance(0.07) ? rand.int(35, 70) : 0;
        const late = lapse || (rand.chance(0.1) ? rand.int(3, 25) : 0);
        const start = plusDays(e, late);
        renew(due, start <= todayIso ? start : e, officeHours(eAt - rand.int(3, 30) * DAY + late * DAY));
        if (lapse && start <= todayIso) {
          due.cur.renews = null;
          due.cur.notes = 'Перезаключён после перерыва';
        }
        continue;
      }
      due.live = false;
      deadEnd.set(due.group, e);
      if (others) {
        // Dropped one product group, kept the others: a contraction, not a lost account.
        if (rand.chance(0.5)) due.cur.churn = churnMark(officeHours(eAt - rand.int(0, 20) * DAY), BUDGET);
        continue;
      }
      // The account leaves. Most are marked churned, some told us before the end; a product group
      // ending with it goes too.
      if (rand.chance(0.8)) due.cur.churn = churnMark(officeHours(eAt - rand.int(0, 20) * DAY), reason([35, 25, 18, 8, 14]));
      for (const o of chains.filter((x) => x.live && x.cur.end === e)) {
        o.live = false;
        o.cur.churn = due.cur.churn;
        deadEnd.set(o.group, e);
      }
      left.push({ company, contract: due.cur.key, at: new Date(Math.min(eAt, due.cur.churn?.at.getTime() ?? eAt)) });
    }

    // Contracts ending after today: a few renewed in advance, a few customers announced their leaving.
    for (const ch of chains.filter((x) => x.live)) {
      const days = daysBetween(todayIso, ch.cur.end);
      if (days <= 45 && rand.chance(0.2)) renew(ch, ch.cur.end, officeHours(end - rand.int(1, 15) * DAY));
      else if (days <= 90 && ch.cur.start < todayIso && rand.chance(0.08)) {
        ch.cur.churn = churnMark(officeHours(end - rand.int(1, 12) * DAY), reason([55, 45, 0, 0, 0]));
        const alone = !chains.some((o) => o !== ch && o.live && o.cur.end > ch.cur.end);
        if (alone) left.push({ company, contract: ch.cur.key, at: ch.cur.churn.at });
      }
    }
  }
  // Renewals first, so that a contract's predecessor is written before it (ids in that order).
  const order = [...contracts].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.key - b.key));
  const remap = new Map(order.map((c, i) => [c.key, i]));
  const final = order.map((c) => ({
    ...c,
    key: remap.get(c.key) as number,
    renews: c.renews === null ? null : (remap.get(c.renews) as number),
  }));
  const leftFinal = left.map((l) => ({ ...l, contract: remap.get(l.contract) as number }));

  const cases = planCases(rand, final, leftFinal, {
    end,
    todayIso,
    phone,
    officeHours,
    instant,
    segment: (company) => plan.companies[company].segment,
    contact: (company) => contactOf.get(company) ?? -1,
  });
  return { groups: PRODUCT_GROUPS, reasons: CHURN_REASONS, contracts: final, cases, left: leftFinal };
}

function planCases(
  rand: Rand,
  contracts: PlanContract[],
  left: PlanAccounts['left'],
  ctx: {
    end: number;
    todayIso: string;
    phone: number;
    officeHours: (t: number) => number;
    instant: (day: string) => number;
    segment: (company: number) => 'smb' | 'mid' | 'ent';
    contact: (company: number) => number;
  },
): PlanCase[] {
  const { end, phone } = ctx;
  const cases: PlanCase[] = [];
  const KINDS: CaseKind[] = ['question', 'complaint', 'claim', 'praise'];
  /** Closes a case `days` after it was opened, unless that is still ahead of as-of. */
  const close = (k: Omit<PlanCase, 'status' | 'closedAt'>, days: number, rejected = false): PlanCase => {
    const closed = k.openedAt.getTime() + days * DAY;
    if (closed >= end) return { ...k, status: end - k.openedAt.getTime() < 2 * DAY ? 'open' : 'in_progress', closedAt: null };
    return { ...k, status: rejected ? 'rejected' : 'resolved', closedAt: new Date(closed) };
  };
  const base = (c: PlanContract, kind: CaseKind, at: number, recorder: Recorder, title = rand.pick(TITLES[kind])) => ({
    kind,
    severity: rand.weighted(SEVERITY[kind]),
    company: c.company,
    contact: ctx.contact(c.company),
    deal: c.deal,
    contract: c.key,
    title,
    description: null as string | null,
    openedAt: new Date(at),
    recorder,
  });

  // The everyday flow: cases while a contract runs, more for bigger accounts and for an implementation.
  for (const c of contracts) {
    const from = ctx.instant(c.start);
    const to = Math.min(ctx.instant(c.end), end);
    if (to <= from) continue;
    const mine = c.owner === phone;
    const rate =
      (ctx.segment(c.company) === 'ent' ? 0.17 : ctx.segment(c.company) === 'mid' ? 0.08 : 0.04) *
      (c.group === IMPLEMENTATION ? 1.5 : c.group === SUPPORT ? 0.6 : 1) *
      (mine ? 2.6 : 1);
    const n = poisson(rand, (rate * (to - from)) / (30.436875 * DAY));
    for (let i = 0; i < n; i++) {
      const at = ctx.officeHours(from + rand.float() * (to - from));
      if (at >= end || at < from) continue;
      if (mine && rand.chance(0.85)) {
        // She takes the call, solves it there and logs it: closed within hours.
        const kind = rand.weighted([
          ['question', 52],
          ['complaint', 26],
          ['claim', 6],
          ['praise', 16],
        ] as const);
        const k = base(c, kind, at, phone);
        const onThePhone = rand.chance(0.93);
        k.description =
          kind === 'praise'
            ? 'Клиент поблагодарил по телефону.'
            : onThePhone
              ? 'Клиент позвонил менеджеру; решено по телефону.'
              : 'Клиент позвонил менеджеру; понадобилась помощь поддержки.';
        cases.push(onThePhone ? close(k, rand.lognormal(1.5, 0.7) / 24) : close(k, rand.lognormal(3, 0.6)));
        continue;
      }
      const kind = rand.weighted(KINDS.map((k, j) => [k, [42, 26, 12, 20][j]] as const));
      // Other sellers log a quarter of what they hear and pass it on to the desk: it takes longer.
      const bySeller = rand.chance(0.25);
      const k = base(c, kind, at, bySeller ? c.owner : 'service');
      const days = rand.lognormal(SERVICE_DAYS[kind], 0.7) * (bySeller ? 1.6 : 1);
      cases.push(close(k, days, (kind === 'claim' && rand.chance(0.1)) || (kind === 'complaint' && rand.chance(0.04))));
    }
  }

  // Before an account leaves: complaints and claims still open when it left.
  for (const l of left) {
    const c = contracts[l.contract];
    if (c.churn?.reason === CLOSED) continue;
    const leftAt = l.at.getTime();
    const n = rand.weighted([
      [1, 40],
      [2, 40],
      [3, 20],
    ] as const);
    for (let i = 0; i < n; i++) {
      const at = ctx.officeHours(leftAt - rand.int(20, 150) * DAY);
      if (at < ctx.instant(c.start) || at >= leftAt) continue;
      const kind = rand.chance(0.6) ? 'complaint' : 'claim';
      const k = base(c, kind, at, rand.chance(0.75) ? 'service' : c.owner, rand.pick(LEAVING_TITLES));
      k.severity = rand.chance(0.6) ? 'high' : 'critical';
      // Closed after they had gone (or never): open on the day they left.
      const closedAfter = (leftAt - at) / DAY + rand.between(3, 40);
      cases.push(rand.chance(0.8) ? close(k, closedAfter, rand.chance(0.4)) : { ...k, status: 'in_progress', closedAt: null });
    }
  }

  // Renewals due soon with a problem on the table: an open case at a few of them.
  const soon = contracts
    .filter((c) => c.end > ctx.todayIso && !c.churn && !contracts.some((n) => n.renews === c.key) && c.start < ctx.todayIso)
    .filter((c) => ctx.instant(c.end) - end < 60 * DAY)
    .sort((a, b) => b.mrrMinor - a.mrrMinor || a.key - b.key);
  for (const c of soon.slice(0, 4)) {
    const kind = rand.pick(['complaint', 'claim', 'question'] as const);
    const k = base(c, kind, ctx.officeHours(end - rand.int(2, 20) * DAY), rand.chance(0.7) ? 'service' : c.owner);
    if (k.openedAt.getTime() >= end) k.openedAt = new Date(end - 2 * HOUR);
    cases.push({ ...k, status: rand.chance(0.5) ? 'open' : 'in_progress', closedAt: null });
  }
  return cases.sort((a, b) => a.openedAt.getTime() - b.openedAt.getTime());
}

/** Writes the plan's product groups, churn reasons, contracts and cases, then the renewal tasks (syncRenewalTasks). */
export async function writeDemoAccounts(
  tx: Queryable,
  ws: number,
  a: PlanAccounts,
  ids: {
    asOf: Date;
    /** The history's start: the lists were made then. */
    since: Date;
    tz: string;
    companyIds: number[];
    contactIds: number[];
    dealIds: number[];
    managerIds: number[];
    serviceId: number;
  },
): Promise<{ contracts: number; cases: number; renewalTasks: number }> {
  const { asOf, since } = ids;
  await tx.query(sql`update workspaces set gross_margin = ${DEMO_GROSS_MARGIN} where workspace_id = ${ws}`);
  const groupIds = await reserveIds(tx, 'product_groups', a.groups.length);
  await bulkInsert(
    tx,
    'product_groups',
    [
      { name: 'workspace_id', type: 'int8', values: a.groups.map(() => ws) },
      { name: 'id', type: 'int8', values: groupIds },
      { name: 'name', type: 'text', values: [...a.groups] },
      { name: 'position', type: 'int4', values: a.groups.map((_, i) => i + 1) },
      { name: 'created_at', type: 'timestamptz', values: a.groups.map(() => since) },
      { name: 'updated_at', type: 'timestamptz', values: a.groups.map(() => since) },
    ],
    { overridingIds: true },
  );
  const reasonIds = await reserveIds(tx, 'churn_reasons', a.reasons.length);
  await bulkInsert(
    tx,
    'churn_reasons',
    [
      { name: 'workspace_id', type: 'int8', values: a.reasons.map(() => ws) },
      { name: 'id', type: 'int8', values: reasonIds },
      { name: 'name_ru', type: 'text', values: a.reasons.map((r) => r.ru) },
      { name: 'name_en', type: 'text', values: a.reasons.map((r) => r.en) },
      { name: 'position', type: 'int4', values: a.reasons.map((_, i) => i + 1) },
      { name: 'created_at', type: 'timestamptz', values: a.reasons.map(() => since) },
      { name: 'updated_at', type: 'timestamptz', values: a.reasons.map(() => since) },
    ],
    { overridingIds: true },
  );
  const cs = a.contracts;
  const contractIds = await reserveIds(tx, 'contracts', cs.length);
  const owner = (c: PlanContract) => ids.managerIds[c.owner];
  await bulkInsert(
    tx,
    'contracts',
    [
      { name: 'workspace_id', type: 'int8', values: cs.map(() => ws) },
      { name: 'id', type: 'int8', values: contractIds },
      { name: 'company_id', type: 'int8', values: cs.map((c) => ids.companyIds[c.company]) },
      { name: 'product_group_id', type: 'int8', values: cs.map((c) => groupIds[c.group]) },
      { name: 'start_date', type: 'date', values: cs.map((c) => c.start) },
      { name: 'end_date', type: 'date', values: cs.map((c) => c.end) },
      { name: 'mrr_minor', type: 'int8', values: cs.map((c) => c.mrrMinor) },
      { name: 'owner_id', type: 'int8', values: cs.map(owner) },
      { name: 'deal_id', type: 'int8', values: cs.map((c) => (c.deal === null ? null : ids.dealIds[c.deal])) },
      { name: 'renews_id', type: 'int8', values: cs.map((c) => (c.renews === null ? null : contractIds[c.renews])) },
      { name: 'churned_at', type: 'timestamptz', values: cs.map((c) => c.churn?.at ?? null) },
      { name: 'churned_by', type: 'int8', values: cs.map((c) => (c.churn ? owner(c) : null)) },
      { name: 'churn_reason_id', type: 'int8', values: cs.map((c) => (c.churn ? reasonIds[c.churn.reason] : null)) },
      { name: 'churn_note', type: 'text', values: cs.map((c) => c.churn?.note ?? null) },
      { name: 'notes', type: 'text', values: cs.map((c) => c.notes) },
      { name: 'created_by', type: 'int8', values: cs.map(owner) },
      { name: 'created_at', type: 'timestamptz', values: cs.map((c) => c.createdAt) },
      { name: 'updated_at', type: 'timestamptz', values: cs.map((c) => c.churn?.at ?? c.createdAt) },
    ],
    { overridingIds: true },
  );
  const ks = a.cases;
  const who = (r: Recorder) => (r === 'service' ? ids.serviceId : ids.managerIds[r]);
  await bulkInsert(tx, 'service_cases', [
    { name: 'workspace_id', type: 'int8', values: ks.map(() => ws) },
    { name: 'kind', type: 'text', values: ks.map((k) => k.kind) },
    { name: 'severity', type: 'text', values: ks.map((k) => k.severity) },
    { name: 'company_id', type: 'int8', values: ks.map((k) => ids.companyIds[k.company]) },
    { name: 'contact_id', type: 'int8', values: ks.map((k) => (k.contact >= 0 ? ids.contactIds[k.contact] : null)) },
    { name: 'deal_id', type: 'int8', values: ks.map((k) => (k.deal === null ? null : ids.dealIds[k.deal])) },
    { name: 'contract_id', type: 'int8', values: ks.map((k) => contractIds[k.contract]) },
    { name: 'title', type: 'text', values: ks.map((k) => k.title) },
    { name: 'description', type: 'text', values: ks.map((k) => k.description) },
    { name: 'status', type: 'text', values: ks.map((k) => k.status) },
    { name: 'opened_at', type: 'timestamptz', values: ks.map((k) => k.openedAt) },
    { name: 'closed_at', type: 'timestamptz', values: ks.map((k) => k.closedAt) },
    { name: 'recorder_role', type: 'text', values: ks.map((k) => (k.recorder === 'service' ? 'service' : 'sales')) },
    { name: 'recorded_by', type: 'int8', values: ks.map((k) => who(k.recorder)) },
    { name: 'owner_id', type: 'int8', values: ks.map((k) => who(k.recorder)) },
    { name: 'created_at', type: 'timestamptz', values: ks.map((k) => k.openedAt) },
    { name: 'updated_at', type: 'timestamptz', values: ks.map((k) => k.closedAt ?? k.openedAt) },
  ]);
  // The renewal tasks of the contracts still running, kept as on every other path.
  const today = iso(DateTime.fromJSDate(asOf, { zone: ids.tz }));
  const running = cs.flatMap((c, i) => (c.end > today ? [contractIds[i]] : []));
  await syncRenewalTasks(tx, ws, asOf, { contractIds: running });
  const [{ n }] = await tx.query<{ n: number }>(
    sql`select count(*)::int8 as n from tasks where workspace_id = ${ws} and contract_id is not null`,
  );
  return { contracts: cs.length, cases: ks.length, renewalTasks: Number(n) };
}

const iso = (d: DateTime) => d.toISODate() ?? '';
/** Calendar arithmetic on YYYY-MM-DD (no time zone in it). */
const plusDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
const daysBetween = (a: string, b: string) => Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY);
/** A 12-month term: the same day a year later (29 February → 28 February). */
const yearAfter = (day: string) => iso(DateTime.fromISO(day, { zone: 'utc' }).plus({ months: 12 }));
const productOf = (d: PlanDeal) => d.title.split(' — ')[0];
/** To whole hundreds of roubles, in minor units. */
const roundMrr = (minor: number) => toMinor(Math.max(100, Math.round(minor / 100 / 100) * 100), 'RUB');

/** True about `p` of the times asked, spread evenly: a running sum of jittered chances crossing whole numbers. */
function systematic(rand: Rand): (p: number) => boolean {
  let acc = rand.float();
  return (p) => {
    acc += p * rand.between(0.5, 1.5);
    if (acc < 1) return false;
    acc -= 1;
    return true;
  };
}

/** Draws from a shuffled deck of the given counts, shuffled anew when it runs out: exact shares, random order. */
function deck<T>(rand: Rand, cards: readonly (readonly [T, number])[]): () => T {
  let pile: T[] = [];
  return () => {
    if (pile.length === 0) {
      pile = cards.flatMap(([v, n]) => Array.from({ length: n }, () => v));
      for (let i = pile.length - 1; i > 0; i--) {
        const j = rand.int(0, i);
        [pile[i], pile[j]] = [pile[j], pile[i]];
      }
    }
    return pile.pop() as T;
  };
}

function poisson(rand: Rand, mean: number): number {
  const l = Math.exp(-mean);
  let k = 0;
  for (let p = rand.float(); p > l; p *= rand.float()) k++;
  return k;
}

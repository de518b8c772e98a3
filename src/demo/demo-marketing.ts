import { DateTime } from 'luxon';
import type { IcpRules } from '../marketing/icp.ts';
import type { TOUCH_KINDS } from '../marketing/touches.ts';
import { toMinor } from '../platform/money.ts';
import { Rand } from '../platform/random.ts';
import type { PlanCompany, PlanDeal, PlanLead } from './demo-records.ts';

/**
 * The demo's marketing story (issue 18), laid over the sales plan of demo-plan.ts. It draws from
 * its own random stream, so the deals, activities and tasks of a seed stay exactly as they were;
 * it only fills in the leads' profiles and may move a lead that never became a deal to another
 * company (the one the form came from). What the marketing dashboard should tell a head of sales:
 *
 * - «Контекстная реклама» is costly and poor: the largest budget, small companies that rarely fit
 *   the ICP, the highest cost per opportunity — though it opens many journeys (first touch).
 * - «Рекомендации партнёров» is cheap and good: a small budget, partners send companies that fit,
 *   the lowest cost per opportunity and the highest ICP share.
 * - «Заявки с сайта» lost its ICP share this quarter: a new lead magnet, «чек-лист для розницы»,
 *   filled the form with small retailers and builders.
 *
 * Every lead gets a journey of touches before its deal; won deals mostly cross channels, so the
 * four attribution models credit channels visibly differently. Spend is entered per channel and
 * month over the whole history; the ICP rules have two versions, the later in force.
 */

export type TouchKind = (typeof TOUCH_KINDS)[number];

export const COSTLY_CHANNEL = 'Контекстная реклама';
export const CHEAP_CHANNEL = 'Рекомендации партнёров';
export const FALLING_CHANNEL = 'Заявки с сайта';

export interface PlanTouch {
  lead: number;
  channel: number;
  at: Date;
  kind: TouchKind;
}
export interface PlanSpend {
  channel: number;
  /** YYYY-MM */
  month: string;
  /** The month's first instant in the demo's time zone. */
  monthStart: Date;
  amountMinor: number;
}
export interface PlanIcpVersion {
  at: Date;
  rules: IcpRules;
}
export interface PlanMarketing {
  touches: PlanTouch[];
  spend: PlanSpend[];
  icp: PlanIcpVersion[];
  reasons: { ru: string; en: string }[];
}

/** Why a lead was disqualified (lead_disqualify_reasons), in list order. */
export const DISQUALIFY_REASONS = [
  { ru: 'Не целевой клиент', en: 'Not a target customer' },
  { ru: 'Нет бюджета', en: 'No budget' },
  { ru: 'Не удалось связаться', en: 'Could not reach' },
  { ru: 'Дубликат заявки', en: 'Duplicate request' },
  { ru: 'Выбрали другое решение', en: 'Chose another solution' },
  { ru: 'Спам или ошибочная заявка', en: 'Spam or a mistaken request' },
];
const REASON_WEIGHTS = {
  /** A lead outside the ICP is mostly «не целевой». */
  misfit: [45, 12, 18, 5, 5, 15],
  fit: [4, 30, 30, 10, 26, 0],
};

const TARGET_INDUSTRIES = ['Производство', 'Энергетика', 'Агропромышленность', 'Дистрибуция', 'Логистика'];
const POOR_INDUSTRIES = ['Розничная торговля', 'Строительство'];

/** The first rules, drafted soon after the start: bigger industrial companies in the two capitals. */
const ICP_V1: IcpRules = {
  threshold: 40,
  rules: [
    { field: 'employees', min: 200, points: 30 },
    { field: 'industry', in: ['Производство', 'Энергетика'], points: 20 },
    { field: 'region', in: ['Москва', 'Санкт-Петербург'], points: 10 },
  ],
};
/** The rules in force: mid-market industry and distribution where the implementation teams are. */
export const DEMO_ICP: IcpRules = {
  threshold: 50,
  rules: [
    { field: 'employees', min: 150, max: 5000, points: 40 },
    { field: 'employees', min: 5001, points: 25 },
    { field: 'industry', in: TARGET_INDUSTRIES, points: 20 },
    { field: 'region', in: ['Москва', 'Санкт-Петербург', 'Екатеринбург', 'Казань'], points: 10 },
    { field: 'industry', in: ['Розничная торговля'], points: -15 },
    { field: 'employees', max: 30, points: -10 },
  ],
};

/** The score kpi.md defines and the database keeps (migration 0021), for choosing a plausible reason here. */
export function icpScore(rules: IcpRules, p: { industry: string | null; employees: number | null; region: string | null }): number {
  let score = 0;
  for (const r of rules.rules) {
    const v = r.field === 'industry' ? p.industry : r.field === 'region' ? p.region : r.field === 'employees' ? p.employees : null;
    if (v === null || String(v).trim() === '') continue;
    const hit = r.in
      ? r.in.includes(String(v))
      : (r.min === undefined || Number(v) >= r.min) && (r.max === undefined || Number(v) <= r.max);
    if (hit) score += r.points;
  }
  return score;
}

interface UtmTags {
  source: string;
  medium: string;
  campaign: string;
}
interface ChannelStory {
  /** The touch that brought the lead in. */
  own: TouchKind;
  /** A touch of this channel in another lead's journey. */
  assist: TouchKind[];
  /** How often this channel appears earlier in other channels' journeys. */
  assistWeight: number;
  /** Roubles for a month (Luxon month start, its index from the start), before noise. */
  spend: (month: DateTime, index: number) => number;
  campaign: (at: DateTime, rand: Rand) => { name: string; utm: UtmTags | null };
}

/** The industrial fairs the demo company exhibits at, by month. */
const EXPOS: [month: number, name: string][] = [
  [4, 'Металлообработка'],
  [6, 'ЦИПР'],
  [7, 'Иннопром'],
  [10, 'Золотая осень'],
  [11, 'Металл-Экспо'],
];
const expoOf = (at: DateTime) => {
  const before = EXPOS.filter(([m]) => m <= at.month);
  const [, name] = before.length ? before[before.length - 1] : EXPOS[EXPOS.length - 1];
  return `${name} ${before.length ? at.year : at.year - 1}`;
};
const pickCampaign = (rand: Rand, list: [name: string, slug: string][]) => rand.pick(list);

const STORIES: Record<string, ChannelStory> = {
  'Заявки с сайта': {
    own: 'form',
    assist: ['visit'],
    assistWeight: 20,
    spend: (_m, i) => 250_000 * (1 + 0.01 * i),
    campaign: (_at, rand) => {
      const [name, slug] = pickCampaign(rand, [
        ['Сайт: запрос демо', 'demo_request'],
        ['Сайт: калькулятор окупаемости', 'roi_calculator'],
        ['Сайт: кейсы клиентов', 'cases'],
      ]);
      return { name, utm: { source: rand.pick(['yandex', 'yandex', 'google']), medium: 'organic', campaign: slug } };
    },
  },
  'Контекстная реклама': {
    own: 'ad_click',
    assist: ['ad_click'],
    assistWeight: 35,
    // Cheaper clicks in the January and May holidays, dearer in the autumn budget season.
    spend: (m, i) => 1_350_000 * (1 + 0.012 * i) * (m.month === 1 ? 0.6 : m.month === 5 ? 0.8 : m.month >= 9 ? 1.15 : 1),
    campaign: (_at, rand) => {
      const [name, slug] = pickCampaign(rand, [
        ['Яндекс Директ: MES', 'direct_mes'],
        ['Яндекс Директ: складская система', 'direct_wms'],
        ['Яндекс Директ: ретаргетинг', 'direct_retargeting'],
        ['VK Реклама: производство', 'vk_manufacturing'],
      ]);
      return { name, utm: { source: slug.startsWith('vk') ? 'vk' : 'yandex', medium: 'cpc', campaign: slug } };
    },
  },
  'E-mail рассылки': {
    own: 'email',
    assist: ['email', 'webinar'],
    assistWeight: 25,
    spend: (_m, i) => 180_000 * (1 + 0.008 * i),
    campaign: (at, rand) => {
      const [name, slug] = pickCampaign(rand, [
        ['Дайджест «Цифровой завод»', 'digest'],
        ['Вебинар «MES за 90 дней»', 'webinar_mes'],
        ['Рассылка: кейсы клиентов', 'cases'],
      ]);
      return { name, utm: { source: 'newsletter', medium: 'email', campaign: `${slug}_${at.toFormat('yyyy_MM')}` } };
    },
  },
  'Выставки и конференции': {
    own: 'event',
    assist: ['event'],
    assistWeight: 12,
    // A stand costs in the month of the fair; the rest of the year, materials and follow-up.
    spend: (m, i) => (EXPOS.some(([mo]) => mo === m.month) ? 1_150_000 : 25_000) * (1 + 0.01 * i),
    campaign: (at) => ({ name: expoOf(at), utm: null }),
  },
  'Рекомендации партнёров': {
    own: 'referral',
    assist: ['referral'],
    assistWeight: 4,
    spend: (_m, i) => 35_000 * (1 + 0.01 * i),
    campaign: (_at, rand) => ({
      name: rand.pick(['Партнёрская программа: интеграторы 1С', 'Партнёрская программа: отраслевые консультанты']),
      utm: null,
    }),
  },
  'Холодные звонки': {
    own: 'call',
    assist: ['call'],
    assistWeight: 4,
    spend: (_m, i) => 320_000 * (1 + 0.01 * i),
    campaign: (_at, rand) => ({
      name: rand.pick(['Обзвон: машиностроение', 'Обзвон: логистика и склады', 'Обзвон: пищевое производство']),
      utm: null,
    }),
  },
};
/** The lead magnet that filled the site's form with the wrong companies this quarter. */
const RETAIL_MAGNET = { name: 'Сайт: чек-лист для розницы', utm: { source: 'yandex', medium: 'organic', campaign: 'retail_checklist' } };

const DAY = 86_400_000;

/**
 * Fills every lead's profile (from its company's card) and qualification, and plans the touches,
 * the spend and the ICP versions. `leads` are changed in place.
 */
export function planMarketing(
  seed: number,
  asOf: Date,
  start: number,
  tz: string,
  plan: {
    channels: { name: string }[];
    companies: PlanCompany[];
    contactsOf: Map<number, number[]>;
    deals: PlanDeal[];
    leads: PlanLead[];
    /** The stage index of a won deal. */
    wonStage: number;
  },
): PlanMarketing {
  // Its own stream: the sales plan drawn before it stays what it was.
  const rand = new Rand(seed * 7919 + 18);
  const end = asOf.getTime();
  const stories = plan.channels.map((c) => {
    const s = STORIES[c.name];
    if (!s) throw new Error(`demo marketing: no story for channel ${c.name}`);
    return s;
  });
  const idx = (name: string) => plan.channels.findIndex((c) => c.name === name);
  const costly = idx(COSTLY_CHANNEL);
  const cheap = idx(CHEAP_CHANNEL);
  const falling = idx(FALLING_CHANNEL);
  const email = idx('E-mail рассылки');
  const site = idx('Заявки с сайта');
  const quarterStart = DateTime.fromMillis(end, { zone: tz }).startOf('quarter').toMillis();

  const poorPool = plan.companies.filter((c) => c.segment === 'smb' && POOR_INDUSTRIES.includes(c.industry)).map((c) => c.key);
  const smallPool = plan.companies.filter((c) => c.segment === 'smb' && c.employees < 80).map((c) => c.key);
  const goodPool = plan.companies.filter((c) => c.segment === 'mid' && TARGET_INDUSTRIES.includes(c.industry)).map((c) => c.key);
  const moveTo = (lead: PlanLead, pool: number[]) => {
    if (!pool.length) return;
    const company = rand.pick(pool);
    lead.company = company;
    lead.title = `Заявка: ${plan.companies[company].name}`;
    lead.contact = (plan.contactsOf.get(company) ?? [-1])[0];
  };

  const touches: PlanTouch[] = [];
  const assistWeights = stories.map((s, i) => [i, s.assistWeight] as const);
  plan.leads.forEach((lead, li) => {
    const created = lead.createdAt.getTime();
    const at = DateTime.fromMillis(created, { zone: tz });
    let campaign = stories[lead.channel].campaign(at, rand);
    // A lead that never became a deal came from whichever company filled the form.
    if (lead.deal === null) {
      if (lead.channel === falling && created >= quarterStart) {
        if (rand.chance(0.9)) {
          moveTo(lead, poorPool);
          campaign = RETAIL_MAGNET;
        }
      } else if (lead.channel === falling && rand.chance(0.35)) moveTo(lead, goodPool);
      else if (lead.channel === costly && rand.chance(0.45)) moveTo(lead, smallPool);
      else if (lead.channel === cheap && rand.chance(0.8)) moveTo(lead, goodPool);
    }
    const company = plan.companies[lead.company];
    lead.industry = company.industry;
    lead.employees = company.employees;
    lead.region = company.city;
    lead.campaign = campaign.name;
    lead.utm = campaign.utm;
    const deal = lead.deal === null ? null : plan.deals[lead.deal];
    lead.convertedAt = deal ? deal.events[0].at : null;
    lead.reason = null;
    if (lead.status === 'disqualified') {
      const fits = icpScore(DEMO_ICP, lead) >= DEMO_ICP.threshold;
      const w = fits ? REASON_WEIGHTS.fit : REASON_WEIGHTS.misfit;
      lead.reason = rand.weighted(w.map((x, i) => [i, x] as const));
    }

    // The journey: earlier touches of other channels, the touch that made the lead, and for a
    // deal sometimes one more (a webinar, a visit to the site) before the deal was opened.
    const won = deal !== null && deal.events[deal.events.length - 1].stage === plan.wonStage;
    const earlier = won
      ? rand.weighted([
          [1, 45],
          [2, 35],
          [3, 20],
        ] as const)
      : deal
        ? rand.weighted([
            [0, 35],
            [1, 40],
            [2, 25],
          ] as const)
        : rand.weighted([
            [0, 55],
            [1, 35],
            [2, 10],
          ] as const);
    const own = created - rand.between(1, 40) * 60_000;
    const mine: PlanTouch[] = [{ lead: li, channel: lead.channel, at: new Date(own), kind: stories[lead.channel].own }];
    let t = own;
    for (let k = 0; k < earlier; k++) {
      t -= rand.lognormal(12, 0.8) * DAY;
      if (t < start) break;
      const others = assistWeights.filter(([i]) => i !== lead.channel);
      const ch = rand.weighted(others);
      const inHours = daytime(t, tz, rand);
      const when = inHours.getTime() < mine[0].at.getTime() ? inHours : new Date(t);
      t = when.getTime();
      mine.unshift({ lead: li, channel: ch, at: when, kind: rand.pick(stories[ch].assist) });
    }
    if (deal && rand.chance(0.35)) {
      const opened = deal.events[0].at.getTime();
      const when = created + (opened - created) * rand.between(0.2, 0.9);
      const ch = rand.chance(0.6) ? email : site;
      if (when > own && when < opened) mine.push({ lead: li, channel: ch, at: new Date(when), kind: ch === email ? 'webinar' : 'visit' });
    }
    // In time order; none at or after as-of (the lead may have come in just before it).
    mine.sort((a, b) => a.at.getTime() - b.at.getTime());
    for (const x of mine) if (x.at.getTime() < end) touches.push(x);
  });

  // Spend per channel and month, from the history's first month to the month of as-of.
  const spend: PlanSpend[] = [];
  const first = DateTime.fromMillis(start, { zone: tz }).startOf('month');
  const last = DateTime.fromMillis(end, { zone: tz }).startOf('month');
  for (let m = first, i = 0; m <= last; m = m.plus({ months: 1 }), i++) {
    stories.forEach((s, ch) => {
      const roubles = Math.round((s.spend(m, i) * rand.between(0.88, 1.12)) / 1000) * 1000;
      spend.push({ channel: ch, month: m.toFormat('yyyy-MM'), monthStart: m.toJSDate(), amountMinor: toMinor(roubles, 'RUB') });
    });
  }

  const icp: PlanIcpVersion[] = [
    { at: daytime(start + 40 * DAY, tz, rand), rules: ICP_V1 },
    { at: daytime(DateTime.fromMillis(end, { zone: tz }).minus({ months: 8 }).toMillis(), tz, rand), rules: DEMO_ICP },
  ];
  return { touches, spend, icp, reasons: DISQUALIFY_REASONS };
}

/** The same day between 9:00 and 18:59 (an event, a webinar, a call happen in office hours). */
function daytime(t: number, tz: string, rand: Rand): Date {
  return DateTime.fromMillis(t, { zone: tz })
    .set({ hour: rand.int(9, 18), minute: rand.int(0, 59), second: 0, millisecond: 0 })
    .toJSDate();
}

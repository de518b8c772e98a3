import { DateTime } from 'luxon';
import { toMinor } from '../platform/money.ts';
import { Rand } from '../platform/random.ts';
import { addDays, type Calendar } from '../process/calendar.ts';
import { B2B_STANDARD_RU as DEMO_STANDARD } from '../process/standard-b2b.ts';
import { type PlanMarketing, planMarketing } from './demo-marketing.ts';
import type { PlanActivity, PlanCompany, PlanContact, PlanDeal, PlanEvent, PlanLead, PlanTask } from './demo-records.ts';

export type { PlanActivity, PlanCompany, PlanContact, PlanDeal, PlanEvent, PlanLead, PlanTask } from './demo-records.ts';

/**
 * The demo workspace, generated in memory from a seed: a Russian B2B seller of
 * industrial software with three segments, six lead channels and eight managers
 * of different skill and discipline, over two years ending at `asOf`.
 *
 * Deals are simulated stage by stage: a duration is drawn for each visit, then
 * the deal advances, goes back, is lost, or is still sitting there at `asOf`.
 * The last two months carry a story the funnel reports should reveal: mid-market
 * deals convert worse from demo to proposal and negotiations drag on; meetings
 * are accepted less often.
 *
 * The marketing side — the leads' profiles and journeys, spend per channel and month, the ICP
 * rules and why leads were disqualified — is laid over it by demo-marketing.ts.
 */

export const DEMO_TZ = 'Europe/Moscow';
/** The demo workspace counts money in roubles (load-demo.ts creates it so). */
export const DEMO_CURRENCY = 'RUB';
export const DEMO_PASSWORD = 'voronka-demo';

export const STAGES = [
  { name: 'Новый лид', kind: 'open' },
  { name: 'Квалификация', kind: 'open' },
  { name: 'Встреча', kind: 'open' },
  { name: 'Демо', kind: 'open' },
  { name: 'КП отправлено', kind: 'open' },
  { name: 'Переговоры', kind: 'open' },
  { name: 'Договор', kind: 'open' },
  { name: 'Успешно реализовано', kind: 'won' },
  { name: 'Закрыто и не реализовано', kind: 'lost' },
] as const;
const WON = 7;
const LOST = 8;
const OPEN_COUNT = 7;

import type { SegmentKey } from './demo-records.ts';
export const SEGMENTS: {
  key: SegmentKey;
  name: string;
  perMonth: number;
  amountMedian: number;
  amountSigma: number;
  cycleDays: number;
}[] = [
  {
    key: 'smb',
    name: 'SMB',
    perMonth: 70,
    amountMedian: 350_000,
    amountSigma: 0.5,
    cycleDays: 35,
  },
  {
    key: 'mid',
    name: 'Средний бизнес',
    perMonth: 28,
    amountMedian: 1_600_000,
    amountSigma: 0.5,
    cycleDays: 80,
  },
  {
    key: 'ent',
    name: 'Enterprise',
    perMonth: 8,
    amountMedian: 8_000_000,
    amountSigma: 0.6,
    cycleDays: 150,
  },
];

export const CHANNELS: {
  name: string;
  kind: 'inbound' | 'outbound' | 'partner';
  quality: number;
  mix: Record<SegmentKey, number>;
}[] = [
  {
    name: 'Заявки с сайта',
    kind: 'inbound',
    quality: 1.0,
    mix: { smb: 30, mid: 20, ent: 8 },
  },
  {
    name: 'Контекстная реклама',
    kind: 'inbound',
    quality: 0.75,
    mix: { smb: 25, mid: 12, ent: 3 },
  },
  {
    name: 'E-mail рассылки',
    kind: 'inbound',
    quality: 0.9,
    mix: { smb: 20, mid: 18, ent: 10 },
  },
  {
    name: 'Выставки и конференции',
    kind: 'outbound',
    quality: 1.15,
    mix: { smb: 5, mid: 20, ent: 35 },
  },
  {
    name: 'Рекомендации партнёров',
    kind: 'partner',
    quality: 1.4,
    mix: { smb: 8, mid: 15, ent: 25 },
  },
  {
    name: 'Холодные звонки',
    kind: 'outbound',
    quality: 0.7,
    mix: { smb: 12, mid: 15, ent: 19 },
  },
];

export const REGIONS = ['Москва', 'Санкт-Петербург', 'Екатеринбург', 'Новосибирск', 'Казань', 'Краснодар'];

export interface DemoManager {
  name: string;
  email: string;
  skill: number;
  discipline: number;
  speed: number;
  segments: SegmentKey[];
  /** Months before asOf the manager joined (0 = from the start). */
  joinedMonthsAgo?: number;
}

export const MANAGERS: DemoManager[] = [
  {
    name: 'Алексей Воронцов',
    email: 'vorontsov@demo.voronka.local',
    skill: 1.3,
    discipline: 0.9,
    speed: 0.95,
    segments: ['ent', 'mid'],
  },
  {
    name: 'Мария Кузнецова',
    email: 'kuznetsova@demo.voronka.local',
    skill: 1.25,
    discipline: 0.97,
    speed: 0.85,
    segments: ['ent', 'mid'],
  },
  {
    name: 'Дмитрий Соколов',
    email: 'sokolov@demo.voronka.local',
    skill: 1.0,
    discipline: 0.8,
    speed: 1.0,
    segments: ['mid', 'smb'],
  },
  {
    name: 'Екатерина Лебедева',
    email: 'lebedeva@demo.voronka.local',
    skill: 1.1,
    discipline: 0.85,
    speed: 1.0,
    segments: ['ent', 'mid'],
  },
  {
    name: 'Игорь Новиков',
    email: 'novikov@demo.voronka.local',
    skill: 0.75,
    discipline: 0.45,
    speed: 1.35,
    segments: ['mid', 'smb'],
  },
  {
    name: 'Анна Морозова',
    email: 'morozova@demo.voronka.local',
    skill: 0.95,
    discipline: 0.8,
    speed: 1.0,
    segments: ['mid', 'smb'],
  },
  {
    name: 'Сергей Павлов',
    email: 'pavlov@demo.voronka.local',
    skill: 0.8,
    discipline: 0.7,
    speed: 1.15,
    segments: ['smb'],
    joinedMonthsAgo: 8,
  },
  {
    name: 'Наталья Волкова',
    email: 'volkova@demo.voronka.local',
    skill: 1.05,
    discipline: 0.85,
    speed: 0.95,
    segments: ['mid', 'smb'],
  },
];

export const STAFF = [
  {
    name: 'Ольга Смирнова',
    email: 'rop@demo.voronka.local',
    role: 'head_of_sales' as const,
  },
  {
    name: 'Администратор',
    email: 'admin@demo.voronka.local',
    role: 'admin' as const,
  },
  {
    name: 'Полина Орлова',
    email: 'marketing@demo.voronka.local',
    role: 'marketer' as const,
  },
];

/** Base chance to advance from each open stage, before skill and channel. */
const ADVANCE = [0.75, 0.6, 0.7, 0.75, 0.65, 0.7, 0.85];
/** Share of the segment's cycle spent in each open stage (median). */
const STAGE_SHARE = [0.05, 0.12, 0.15, 0.13, 0.15, 0.25, 0.15];
const LOST_REASONS = ['Выбрали конкурента', 'Нет бюджета', 'Проект отложен', 'Не вышли на ЛПР', 'Дорого', 'Пропал контакт'];

const NAME_ROOTS = [
  'Сиб',
  'Урал',
  'Волга',
  'Балт',
  'Техно',
  'Пром',
  'Агро',
  'Энерго',
  'Строй',
  'Транс',
  'Мет',
  'Нефте',
  'Север',
  'Юг',
  'Кама',
  'Дон',
  'Альфа',
  'Вектор',
  'Арсенал',
  'Меридиан',
];
const NAME_TAILS = [
  'Сервис',
  'Трейд',
  'Групп',
  'Холдинг',
  'Снаб',
  'Логистик',
  'Маш',
  'Комплект',
  'Систем',
  'Пром',
  'Инжиниринг',
  'Ресурс',
  'Продукт',
  'Монтаж',
];
const LEGAL = ['ООО', 'ООО', 'ООО', 'АО', 'АО', 'ПАО'];
const INDUSTRIES = [
  'Производство',
  'Логистика',
  'Розничная торговля',
  'Строительство',
  'Энергетика',
  'Агропромышленность',
  'Дистрибуция',
  'Фармацевтика',
];
const FIRST_M = ['Андрей', 'Павел', 'Михаил', 'Николай', 'Владимир', 'Роман', 'Олег', 'Константин', 'Виктор', 'Артём'];
const FIRST_F = ['Елена', 'Ирина', 'Татьяна', 'Светлана', 'Юлия', 'Ксения', 'Марина', 'Дарья', 'Людмила', 'Вера'];
const LAST = [
  'Иванов',
  'Петров',
  'Сидоров',
  'Фёдоров',
  'Егоров',
  'Зайцев',
  'Козлов',
  'Белов',
  'Тарасов',
  'Гусев',
  'Комаров',
  'Макаров',
  'Жуков',
  'Медведев',
  'Никитин',
];
const POSITIONS = [
  'Генеральный директор',
  'Финансовый директор',
  'ИТ-директор',
  'Руководитель закупок',
  'Главный инженер',
  'Операционный директор',
];
const PRODUCTS = [
  'Внедрение MES',
  'Система мониторинга оборудования',
  'Модуль планирования',
  'Складская система',
  'Аналитическая платформа',
  'Лицензии и поддержка',
  'Интеграция с 1С',
];

export interface DemoPlan {
  asOf: Date;
  companies: PlanCompany[];
  contacts: PlanContact[];
  deals: PlanDeal[];
  activities: PlanActivity[];
  tasks: PlanTask[];
  leads: PlanLead[];
  marketing: PlanMarketing;
}

const DAY = 86_400_000;
/** Filled in by planMarketing. */
const NO_PROFILE = {
  industry: null,
  employees: null,
  region: null,
  campaign: null,
  utm: null,
  reason: null,
  convertedAt: null,
} as const;

/** Moves an instant into Moscow working hours (Mon–Fri, 9:00–19:00), keeping its order roughly. */
function workHours(t: number, rand: Rand): Date {
  let d = DateTime.fromMillis(t, { zone: DEMO_TZ });
  if (d.hour < 9 || d.hour >= 19) d = d.set({ hour: 9 + rand.int(0, 9), minute: rand.int(0, 59) }).plus({ days: d.hour >= 19 ? 1 : 0 });
  while (d.weekday > 5) d = d.plus({ days: 1 });
  return d.toJSDate();
}

const DEMO_PIPELINE = DEMO_STANDARD.pipelines[0];
const DEMO_CALENDAR: Calendar = new Map(DEMO_STANDARD.calendar.map((c) => [c.day, c.kind]));
const SEGMENT_NAME: Record<SegmentKey, string> = { smb: 'SMB', mid: 'Средний бизнес', ent: 'Enterprise' };
const ATYPICAL_REASONS = [
  'Госзакупка по 44-ФЗ',
  'Нестандартная интеграция с унаследованной системой',
  'Пилот без оплаты по решению директора',
  'Партнёрская сделка с разделом выручки',
];

export function buildDemoPlan(seed: number, asOf: Date): DemoPlan {
  const rand = new Rand(seed);
  const end = asOf.getTime();
  const start = DateTime.fromMillis(end, { zone: DEMO_TZ }).minus({ years: 2 }).startOf('day').toMillis();
  const storyFrom = end - 60 * DAY;

  // Companies: per segment, sized to how many deals the segment will bring.
  const companies: PlanCompany[] = [];
  const contacts: PlanContact[] = [];
  const usedNames = new Set<string>();
  const companyPool: Record<SegmentKey, number[]> = {
    smb: [],
    mid: [],
    ent: [],
  };
  for (const seg of SEGMENTS) {
    const count = Math.round(seg.perMonth * 24 * 0.35);
    for (let i = 0; i < count; i++) {
      let name = '';
      for (let tries = 0; tries < 50; tries++) {
        const base = `${rand.pick(NAME_ROOTS)}${rand.pick(NAME_TAILS).toLowerCase()}`;
        name = `${rand.pick(LEGAL)} «${base}»${tries > 20 ? ` (${rand.pick(REGIONS)})` : ''}`;
        if (!usedNames.has(name)) break;
      }
      usedNames.add(name);
      const key = companies.length;
      const employees = seg.key === 'smb' ? rand.int(15, 150) : seg.key === 'mid' ? rand.int(150, 1500) : rand.int(1500, 25_000);
      companies.push({
        key,
        name,
        inn: String(rand.int(1_000_000_000, 9_999_999_999)),
        industry: rand.pick(INDUSTRIES),
        city: rand.pick(REGIONS),
        employees,
        segment: seg.key,
        revenueMln: Math.round(employees * rand.between(2, 6)),
      });
      companyPool[seg.key].push(key);
      const nContacts = rand.int(1, seg.key === 'ent' ? 4 : 2);
      for (let c = 0; c < nContacts; c++) {
        const female = rand.chance(0.45);
        const last = rand.pick(LAST);
        const person = `${female ? rand.pick(FIRST_F) : rand.pick(FIRST_M)} ${female ? `${last}а` : last}`;
        contacts.push({
          key: contacts.length,
          company: key,
          name: person,
          position: c === 0 ? POSITIONS[rand.int(0, 2)] : rand.pick(POSITIONS),
          email: `contact${contacts.length + 1}@client${key + 1}.example.ru`,
          phone: `+7 9${rand.int(10, 99)} ${rand.int(100, 999)}-${rand.int(10, 99)}-${rand.int(10, 99)}`,
          decisionMaker: c === 0,
        });
      }
    }
  }
  const contactsOf = new Map<number, number[]>();
  for (const c of contacts) contactsOf.set(c.company, [...(contactsOf.get(c.company) ?? []), c.key]);

  const deals: PlanDeal[] = [];
  const activities: PlanActivity[] = [];
  const tasks: PlanTask[] = [];
  const leads: PlanLead[] = [];

  for (const seg of SEGMENTS) {
    const total = seg.perMonth * 24;
    for (let i = 0; i < total; i++) {
      // Creation time: uniform over two years, thinner in the New Year and May holidays.
      let createdAt = new Date(0);
      for (;;) {
        const created = start + rand.float() * (end - start);
        const d = DateTime.fromMillis(created, { zone: DEMO_TZ });
        const holiday = (d.month === 1 && d.day <= 10) || (d.month === 5 && d.day <= 10);
        createdAt = workHours(created, rand);
        if ((!holiday || rand.chance(0.25)) && createdAt.getTime() < end) break;
      }
      const eligible = MANAGERS.map((m, idx) => ({ m, idx })).filter(
        ({ m }) => m.segments.includes(seg.key) && (!m.joinedMonthsAgo || createdAt.getTime() > end - m.joinedMonthsAgo * 30 * DAY),
      );
      const { m: manager, idx: managerIdx } = rand.pick(eligible);
      const channelIdx = rand.weighted(CHANNELS.map((c, idx) => [idx, c.mix[seg.key]] as const));
      const channel = CHANNELS[channelIdx];
      const company = rand.pick(companyPool[seg.key]);
      const contactList = contactsOf.get(company) ?? [];
      const amount = Math.max(50_000, Math.round(rand.lognormal(seg.amountMedian, seg.amountSigma) / 1000) * 1000);
      const key = deals.length;
      const stuckStage = rand.chance(0.06) ? rand.int(2, 6) : -1;
      const events: PlanEvent[] = [{ stage: 0, at: createdAt }];
      const mult = (manager.skill * channel.quality) ** (1 / 3);

      let stage = 0;
      let t = createdAt.getTime();
      let reopened = false;
      let guard = 0;
      while (guard++ < 40) {
        if (stage === WON || stage === LOST) {
          // A few lost deals come back to life after a pause.
          if (stage === LOST && !reopened && events.length >= 5 && rand.chance(0.08)) {
            reopened = true;
            const back = workHours(t + rand.between(30, 90) * DAY, rand);
            if (back.getTime() >= end) break;
            t = back.getTime();
            stage = 5;
            events.push({ stage, at: back });
            continue;
          }
          break;
        }
        const story = t > storyFrom && seg.key === 'mid';
        let p = Math.min(0.97, ADVANCE[stage] * mult);
        if (story && stage === 3) p *= 0.6;
        if (reopened) p *= 0.8;
        const advances = rand.chance(p);
        // Deals that will be lost linger first: nobody closes a deal the day it cools down.
        let median = seg.cycleDays * STAGE_SHARE[stage] * manager.speed * (advances ? 1 : 1.8);
        if (story && stage === 5) median *= 1.6;
        if (stage === stuckStage) median *= 5;
        const days = Math.max(0.05, rand.lognormal(median, 0.6));
        t += days * DAY;
        if (t >= end) break; // still sitting in this stage at asOf
        const at = workHours(t, rand);
        if (at.getTime() >= end) break;
        t = at.getTime();
        if (advances) {
          // Occasionally a deal goes one step back (a second meeting, a revised proposal) before moving on.
          if ((stage === 5 && rand.chance(0.12)) || (stage === 3 && rand.chance(0.05))) {
            stage -= 1;
            events.push({ stage, at });
            continue;
          }
          stage = stage + 1 === OPEN_COUNT ? WON : stage + 1;
          events.push({ stage, at });
        } else {
          stage = LOST;
          events.push({ stage, at, reason: rand.pick(LOST_REASONS) });
        }
      }

      const custom: Record<string, string | number> = {};
      const reached = Math.max(...events.map((e) => Math.min(e.stage, OPEN_COUNT)));
      if (reached >= 2) {
        custom.budget_confirmed = rand.chance(0.6 + 0.3 * (manager.discipline - 0.5)) ? 'yes' : 'no';
        custom.decision_maker_known = rand.chance(manager.discipline) ? 'yes' : 'no';
      }
      if (reached >= 4) {
        custom.competitor = rand.pick(['1С:ERP', 'Галактика', 'SAP', 'Собственная разработка', 'Нет']);
        custom.decision_date =
          DateTime.fromJSDate(events[events.length - 1].at, { zone: DEMO_TZ })
            .plus({ days: rand.int(10, 60) })
            .toISODate() ?? '';
      }
      const atypical =
        seg.key !== 'smb' && rand.chance(0.03)
          ? {
              reason: rand.pick(ATYPICAL_REASONS),
              decision: end - createdAt.getTime() > 60 * DAY ? rand.pick(['typical', 'atypical'] as const) : null,
            }
          : null;
      deals.push({
        key,
        atypical,
        title: `${rand.pick(PRODUCTS)} — ${companies[company].name.replace(/^(ООО|АО|ПАО|НПО|ГК|ТД) /, '')}`,
        company,
        contact: contactList.length ? rand.pick(contactList) : -1,
        manager: managerIdx,
        segment: seg.key,
        channel: channelIdx,
        region: companies[company].city,
        amountMinor: toMinor(amount, DEMO_CURRENCY),
        events,
        custom,
      });

      // The lead that became this deal, a few days earlier.
      leads.push({
        title: `Заявка: ${companies[company].name}`,
        company,
        contact: contactList[0] ?? -1,
        channel: channelIdx,
        manager: managerIdx,
        status: 'converted',
        fit: Math.min(100, Math.round(rand.between(45, 95) * Math.sqrt(channel.quality))),
        createdAt: new Date(createdAt.getTime() - rand.between(0.5, 6) * DAY),
        deal: key,
        ...NO_PROFILE,
      });

      // Activities and tasks along the visits.
      for (let v = 0; v < events.length; v++) {
        const e = events[v];
        const next = events[v + 1];
        const from = e.at.getTime();
        const until = next ? next.at.getTime() : end;
        const inside = (share: number) => workHours(Math.min(until - 60_000, from + (until - from) * share), rand);
        if (until - from < 3_600_000 || e.stage >= OPEN_COUNT) continue;
        const story = from > end - 42 * DAY;
        switch (e.stage) {
          case 1:
            for (let c = rand.int(1, 3); c > 0; c--) {
              activities.push({
                deal: key,
                type: 'call',
                outcome: rand.chance(0.3) ? 'no_answer' : 'held',
                at: inside(rand.between(0.05, 0.9)),
                subject: 'Квалификационный звонок',
                manager: managerIdx,
              });
            }
            break;
          case 2: {
            const accepted = next && next.stage > e.stage && next.stage !== LOST ? true : rand.chance(story ? 0.35 : 0.6);
            activities.push({
              deal: key,
              type: 'meeting',
              outcome: accepted ? 'accepted' : 'declined',
              at: inside(0.2),
              subject: 'Встреча с ЛПР',
              manager: managerIdx,
            });
            break;
          }
          case 3:
            activities.push({
              deal: key,
              type: 'demo',
              outcome: rand.chance(0.9) ? 'held' : 'no_show',
              at: inside(0.5),
              subject: 'Демонстрация системы',
              manager: managerIdx,
            });
            break;
          case 4:
            activities.push({
              deal: key,
              type: 'proposal',
              outcome: 'sent',
              at: workHours(from + rand.between(0.1, 2) * DAY * manager.speed, rand),
              subject: 'КП отправлено',
              manager: managerIdx,
            });
            if (rand.chance(0.7))
              activities.push({
                deal: key,
                type: 'email',
                outcome: rand.chance(0.6) ? 'replied' : 'sent',
                at: inside(0.6),
                subject: 'Вопросы по КП',
                manager: managerIdx,
              });
            break;
          case 5:
            for (let c = rand.int(1, 3); c > 0; c--) {
              activities.push({
                deal: key,
                type: rand.chance(0.5) ? 'meeting' : 'call',
                outcome: rand.chance(0.5) ? 'held' : 'accepted',
                at: inside(rand.between(0.1, 0.9)),
                subject: 'Переговоры',
                manager: managerIdx,
              });
            }
            break;
        }
      }
      planTasks(rand, deals[deals.length - 1], manager, managerIdx, end, tasks);
    }
  }

  // Leads that never became deals: recent ones still in work, older ones disqualified.
  const extraLeads = Math.round(deals.length * 1.2);
  for (let i = 0; i < extraLeads; i++) {
    const seg = rand.weighted(SEGMENTS.map((s) => [s, s.perMonth] as const));
    const channelIdx = rand.weighted(CHANNELS.map((c, idx) => [idx, c.mix[seg.key] / c.quality] as const));
    // Office hours may fall after as-of: such a lead came in just before it.
    const createdAt = new Date(Math.min(workHours(start + rand.float() * (end - start), rand).getTime(), end - 3_600_000));
    const age = (end - createdAt.getTime()) / DAY;
    const company = rand.pick(companyPool[seg.key]);
    const eligible = MANAGERS.map((_, idx) => idx).filter((idx) => MANAGERS[idx].segments.includes(seg.key));
    leads.push({
      title: `Заявка: ${companies[company].name}`,
      company,
      contact: (contactsOf.get(company) ?? [-1])[0],
      channel: channelIdx,
      manager: rand.pick(eligible),
      status: age < 7 ? 'new' : age < 30 ? rand.pick(['working', 'qualified'] as const) : 'disqualified',
      fit: Math.round(rand.between(10, 80) * Math.sqrt(CHANNELS[channelIdx].quality)),
      createdAt,
      deal: null,
      ...NO_PROFILE,
    });
  }
  const marketing = planMarketing(seed, asOf, start, DEMO_TZ, { channels: CHANNELS, companies, contactsOf, deals, leads, wonStage: WON });
  return { asOf, companies, contacts, deals, activities, tasks, leads, marketing };
}

/**
 * The playbook tasks of a deal, stage entry by stage entry: created at the entry
 * (or when their anchor task was done), due per the template and the production
 * calendar, done on time or late according to the manager's discipline; a task
 * still undone when the deal moves on is skipped (or kept open, per template).
 * The same entry records how many of the stage's required fields were filled —
 * a sloppy manager's deals enter stages with gaps (moves forced by the head of sales).
 */
function planTasks(rand: Rand, deal: PlanDeal, manager: DemoManager, managerIdx: number, end: number, out: PlanTask[]) {
  const segName = SEGMENT_NAME[deal.segment];
  for (let v = 0; v < deal.events.length; v++) {
    const e = deal.events[v];
    const stageDoc = DEMO_PIPELINE.stages[e.stage];
    const reqs = stageDoc.requirements.filter((r) => r.segments === null || r.segments.includes(segName));
    if (reqs.length > 0) {
      const filled = reqs.filter(() => rand.chance(0.55 + 0.45 * manager.discipline)).length;
      const forward = v > 0 && (STAGES[e.stage].kind === 'won' || e.stage > deal.events[v - 1].stage);
      e.required = { total: reqs.length, filled };
      if (forward && filled < reqs.length) {
        e.forced = true;
        e.reason = e.reason ?? 'Согласовано РОП: данные будут дополнены';
      }
    }
    if (STAGES[e.stage].kind !== 'open') continue;
    const from = e.at.getTime();
    const until = v + 1 < deal.events.length ? deal.events[v + 1].at.getTime() : end;
    const templates = stageDoc.playbook.filter((t) => t.active && (t.segment === null || t.segment === segName));
    const doneAt = new Map<string, number>();
    const make = (t: (typeof templates)[number], start: number) => {
      const due = addDays(new Date(start), t.due_days, t.day_kind, DEMO_TZ, DEMO_CALENDAR).getTime();
      const onTime = rand.chance(manager.discipline);
      const window = Math.max(600_000, due - start);
      // Late work comes later the sloppier the manager; some tasks are simply forgotten.
      const forgotten = !onTime && rand.chance(0.35 * (1 - manager.discipline));
      let done = onTime
        ? start + window * rand.between(0.1, 0.95)
        : forgotten
          ? Number.POSITIVE_INFINITY
          : due + rand.lognormal(3, 0.8) * DAY * (2 - 2 * manager.discipline + 0.1);
      // Before moving the deal on, a manager usually closes the stage's tasks.
      if (!forgotten && done > until && until < end && rand.chance(0.5 + 0.4 * manager.discipline))
        done = Math.max(start + 60_000, until - rand.between(0.01, 0.2) * DAY);
      let status: PlanTask['status'] = 'done';
      let closed: number | null = null;
      if (done >= end || (done > until && t.on_stage_exit === 'keep_open' && until >= end)) {
        status = 'open';
      } else if (done > until) {
        if (t.on_stage_exit === 'skip') {
          status = 'skipped';
          closed = until;
        } else if (done >= end) status = 'open';
      }
      out.push({
        deal: deal.key,
        event: v,
        manager: managerIdx,
        templateKey: t.key,
        title: t.title_ru,
        type: t.type,
        createdAt: new Date(start),
        dueAt: new Date(due),
        doneAt: status === 'done' ? new Date(done) : null,
        closedAt: closed === null ? null : new Date(closed),
        status,
      });
      if (status === 'done') doneAt.set(t.key, done);
    };
    for (const t of templates.filter((x) => x.anchor === null)) make(t, from);
    for (const t of templates.filter((x) => x.anchor !== null)) {
      const anchorDone = doneAt.get(t.anchor as string);
      // Created when the anchor task was done, while the deal was still in the stage.
      if (anchorDone !== undefined && anchorDone < until) make(t, anchorDone);
    }
  }
}

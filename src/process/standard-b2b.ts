import type { ConfigDoc } from './config-doc.ts';

/**
 * The standard B2B sales standard, as a configuration document: the segments, the
 * qualification fields, the pipeline with guidance, requirements and playbooks per
 * segment, and the Russian production calendar for 2024–2026 (holidays on weekdays and
 * moved working Saturdays). A new workspace may start from it (in Russian or English, see
 * templates.ts); the demo company works by it, and `bin/voronka config export` on the demo
 * workspace prints it back.
 */

const yesNo = [
  { value: 'yes', label_ru: 'Да', label_en: 'Yes' },
  { value: 'no', label_ru: 'Нет', label_en: 'No' },
];

type Tpl = ConfigDoc['pipelines'][number]['stages'][number]['playbook'][number];
const tpl = (key: string, title_ru: string, title_en: string, type: Tpl['type'], due_days: number, extra: Partial<Tpl> = {}): Tpl => ({
  key,
  title_ru,
  title_en,
  type,
  due_days,
  day_kind: 'business',
  segment: null,
  anchor: null,
  owner_email: null,
  on_stage_exit: 'skip',
  active: true,
  ...extra,
});
/** The same task with a deadline per segment. */
const perSegment = (
  key: string,
  ru: string,
  en: string,
  type: Tpl['type'],
  days: [number, number, number],
  extra: Partial<Tpl> = {},
): Tpl[] =>
  (['SMB', 'Средний бизнес', 'Enterprise'] as const).map((segment, i) =>
    tpl(`${key}.${['smb', 'mid', 'ent'][i]}`, ru, en, type, days[i], { segment, ...extra }),
  );

const holidays = (days: string[], note: string) => days.map((day) => ({ day, kind: 'holiday' as const, note }));

export const B2B_STANDARD_RU: ConfigDoc = {
  voronka_config: 1,
  segments: [
    { name: 'SMB', kind: 'typical' },
    { name: 'Средний бизнес', kind: 'typical' },
    { name: 'Enterprise', kind: 'typical' },
    { name: 'Нетиповые', kind: 'atypical' },
  ],
  deal_fields: [
    { key: 'budget_confirmed', label_ru: 'Бюджет подтверждён', label_en: 'Budget confirmed', type: 'choice', choices: yesNo },
    { key: 'decision_maker_known', label_ru: 'ЛПР определён', label_en: 'Decision maker known', type: 'choice', choices: yesNo },
    { key: 'competitor', label_ru: 'Основной конкурент', label_en: 'Main competitor', type: 'text', choices: [] },
    { key: 'decision_date', label_ru: 'Дата решения клиента', label_en: 'Client decision date', type: 'date', choices: [] },
  ],
  pipelines: [
    {
      name: 'Продажи B2B',
      stages: [
        {
          name: 'Новый лид',
          kind: 'open',
          guidance_ru: 'Связаться с клиентом в течение рабочего дня, понять задачу и назначить квалификационный звонок.',
          guidance_en: 'Reach the client within a working day, understand the need and book a qualification call.',
          requirements: [],
          playbook: [tpl('first_call', 'Первый звонок клиенту', 'First call to the client', 'call', 1)],
        },
        {
          name: 'Квалификация',
          kind: 'open',
          guidance_ru: 'Выяснить бюджет, ЛПР, сроки и потребность (BANT). Привязать компанию и контакт.',
          guidance_en: 'Find out budget, decision maker, timing and need (BANT). Link the company and the contact.',
          requirements: [{ field: 'company_id', segments: null }],
          playbook: perSegment(
            'qualify',
            'Квалифицировать: бюджет, ЛПР, сроки',
            'Qualify: budget, decision maker, timing',
            'call',
            [2, 3, 5],
          ),
        },
        {
          name: 'Встреча',
          kind: 'open',
          guidance_ru: 'Встреча с ЛПР: подтвердить бюджет и критерии выбора, договориться о демонстрации.',
          guidance_en: 'Meet the decision maker: confirm the budget and selection criteria, agree on a demo.',
          requirements: [
            { field: 'contact_id', segments: null },
            { field: 'custom.decision_maker_known', segments: null },
          ],
          playbook: perSegment('meeting', 'Провести встречу с ЛПР', 'Hold the meeting with the decision maker', 'meeting', [5, 7, 10]),
        },
        {
          name: 'Демо',
          kind: 'open',
          guidance_ru: 'Показать систему на данных клиента, зафиксировать вопросы и возражения.',
          guidance_en: "Show the system on the client's data, note questions and objections.",
          requirements: [{ field: 'custom.budget_confirmed', segments: ['Средний бизнес', 'Enterprise'] }],
          playbook: perSegment('demo', 'Провести демонстрацию', 'Run the demo', 'meeting', [5, 5, 7]),
        },
        {
          name: 'КП отправлено',
          kind: 'open',
          guidance_ru:
            'Отправить КП в течение трёх рабочих дней после брифинга; через пять дней — повторный контакт, чтобы выявить скрытые возражения.',
          guidance_en: 'Send the proposal within three working days of the briefing; five days later, a follow-up for hidden objections.',
          requirements: [{ field: 'amount_minor', segments: null }],
          playbook: [
            ...perSegment('proposal', 'Отправить КП', 'Send the proposal', 'proposal', [1, 3, 5]),
            ...(['smb', 'mid', 'ent'] as const).map((k, i) =>
              tpl(
                `follow_up.${k}`,
                'Повторный контакт по КП: скрытые возражения',
                'Proposal follow-up: hidden objections',
                'follow_up',
                5,
                {
                  day_kind: 'calendar',
                  segment: (['SMB', 'Средний бизнес', 'Enterprise'] as const)[i],
                  anchor: `proposal.${k}`,
                },
              ),
            ),
          ],
        },
        {
          name: 'Переговоры',
          kind: 'open',
          guidance_ru: 'Согласовать условия, скидку и сроки внедрения; подтвердить дату решения.',
          guidance_en: 'Agree terms, discount and roll-out dates; confirm the decision date.',
          requirements: [{ field: 'custom.competitor', segments: ['Enterprise'] }],
          playbook: perSegment('terms', 'Согласовать условия и скидку', 'Agree terms and discount', 'call', [7, 10, 15]),
        },
        {
          name: 'Договор',
          kind: 'open',
          guidance_ru: 'Подготовить и подписать договор, передать клиента в сопровождение.',
          guidance_en: 'Prepare and sign the contract, hand the client over to account management.',
          requirements: [{ field: 'custom.decision_date', segments: null }],
          playbook: perSegment('contract', 'Подписать договор', 'Sign the contract', 'document', [5, 10, 15], {
            on_stage_exit: 'keep_open',
          }),
        },
        { name: 'Успешно реализовано', kind: 'won', guidance_ru: null, guidance_en: null, requirements: [], playbook: [] },
        { name: 'Закрыто и не реализовано', kind: 'lost', guidance_ru: null, guidance_en: null, requirements: [], playbook: [] },
      ],
    },
  ],
  calendar: [
    ...holidays(['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04', '2024-01-05', '2024-01-08'], 'Новогодние каникулы'),
    ...holidays(['2024-02-23'], 'День защитника Отечества'),
    ...holidays(['2024-03-08'], 'Международный женский день'),
    ...holidays(['2024-04-29', '2024-04-30', '2024-05-01'], 'Праздник Весны и Труда'),
    ...holidays(['2024-05-09', '2024-05-10'], 'День Победы'),
    ...holidays(['2024-06-12'], 'День России'),
    ...holidays(['2024-11-04'], 'День народного единства'),
    ...holidays(['2024-12-30', '2024-12-31'], 'Новогодние каникулы'),
    { day: '2024-04-27', kind: 'workday', note: 'Перенос рабочего дня' },
    { day: '2024-11-02', kind: 'workday', note: 'Перенос рабочего дня' },
    { day: '2024-12-28', kind: 'workday', note: 'Перенос рабочего дня' },
    ...holidays(['2025-01-01', '2025-01-02', '2025-01-03', '2025-01-06', '2025-01-07', '2025-01-08'], 'Новогодние каникулы'),
    ...holidays(['2025-05-01', '2025-05-02'], 'Праздник Весны и Труда'),
    ...holidays(['2025-05-08', '2025-05-09'], 'День Победы'),
    ...holidays(['2025-06-12', '2025-06-13'], 'День России'),
    ...holidays(['2025-11-03', '2025-11-04'], 'День народного единства'),
    ...holidays(['2025-12-31'], 'Новогодние каникулы'),
    { day: '2025-11-01', kind: 'workday', note: 'Перенос рабочего дня' },
    ...holidays(['2026-01-01', '2026-01-02', '2026-01-05', '2026-01-06', '2026-01-07', '2026-01-08', '2026-01-09'], 'Новогодние каникулы'),
    ...holidays(['2026-02-23'], 'День защитника Отечества'),
    ...holidays(['2026-03-09'], 'Международный женский день (перенос)'),
    ...holidays(['2026-05-01', '2026-05-11'], 'Праздник Весны и Труда, День Победы (перенос)'),
    ...holidays(['2026-06-12'], 'День России'),
    ...holidays(['2026-11-04'], 'День народного единства'),
    ...holidays(['2026-12-31'], 'Новогодние каникулы'),
  ],
};

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dealRow, writeBundle } from './bundle.ts';

/**
 * The channels report of kpi.md on named leads, each named after what it shows. Period January
 * 2025 (Moscow), as of 01.03.2025.
 */
export const LEADS = [
  ['lead_id', 'created_at', 'channel', 'campaign', 'company', 'industry', 'employees', 'region', 'deal_id'],
  // Three touches over two channels before its deal is won, and one after.
  ['L1_three_touches', '2025-01-05T09:00:00+03:00', 'Вебинары', 'Январский вебинар', 'ООО «Альфа»', 'Производство', '200', 'Москва', 'D1'],
  // Its deal was won without any touch: the deal's own channel gets it all.
  ['L2_no_touches', '2025-01-11T09:00:00+03:00', 'Выставки', '', 'ООО «Бета»', 'Розница', '50', 'Казань', 'D2'],
  ['L3_lost', '2025-01-15T09:00:00+03:00', 'Сайт', '', 'ООО «Гамма»', 'Производство', '', '', 'D3'],
  // Its deal is created after as-of: not an opportunity.
  ['L4_converted_after_as_of', '2025-01-20T09:00:00+03:00', 'Сайт', '', '', '', '1000', 'Москва', 'D4'],
  ['L5_fits_no_deal', '2025-01-30T09:00:00+03:00', 'Вебинары', '', 'ООО «Дельта»', 'Производство', '500', 'Москва', ''],
  ['L6_outside_period', '2025-02-10T09:00:00+03:00', 'Реклама', '', '', '', '', '', ''],
  // Two more leads of the won D1: its deal counts once per channel and once in the total.
  ['L7_second_lead_of_D1', '2025-01-08T09:00:00+03:00', 'Вебинары', '', '', '', '', '', 'D1'],
  ['L8_other_channel_of_D1', '2025-01-09T09:00:00+03:00', 'Выставки', '', '', '', '', '', 'D1'],
];
export const TOUCHES = [
  ['lead_id', 'channel', 'at'],
  ['L1_three_touches', 'Вебинары', '2025-01-05T10:00:00+03:00'],
  ['L1_three_touches', 'Сайт', '2025-01-07T10:00:00+03:00'],
  ['L1_three_touches', 'Вебинары', '2025-01-12T10:00:00+03:00'],
  // At the closing instant: not before it.
  ['L1_three_touches', 'Реклама', '2025-01-25T12:00:00+03:00'],
  ['L1_three_touches', 'Сайт', '2025-01-26T10:00:00+03:00'],
];
export const SPEND = [
  ['channel', 'month', 'amount'],
  ['Сайт', '2025-01', '1200.00'],
  ['Вебинары', '2025-01', '600'],
  ['Вебинары', '2025-02', '999.00'],
  ['Выставки', '2025-01', '0'],
  ['Реклама', '2025-01', '300.00'],
];
export const ICP = {
  threshold: 50,
  rules: [
    { field: 'industry', in: ['Производство'], points: 30 },
    { field: 'employees', min: 100, max: 1000, points: 30 },
    { field: 'region', in: ['Москва'], points: 10 },
    { field: 'region', in: ['Казань'], points: -20 },
  ],
};

const csv = (rows: string[][], d = ',') => `${rows.map((r) => r.join(d)).join('\n')}\n`;

export function marketingBundle(over: { leads?: string[][]; touches?: string[][]; spend?: string[][]; icp?: unknown } = {}): string {
  const dir = writeBundle({
    deals: [
      dealRow('D1', { channel: 'Сайт', amount: '900.00', created_at: '2025-01-10T10:00:00+03:00' }),
      dealRow('D2', { channel: 'Выставки', amount: '500.00', created_at: '2025-01-11T10:00:00+03:00' }),
      dealRow('D3', { channel: 'Сайт', amount: '300.00', created_at: '2025-01-15T10:00:00+03:00' }),
      dealRow('D4', { channel: 'Сайт', amount: '700.00', created_at: '2025-03-05T10:00:00+03:00' }),
    ],
    events: [
      ['D1', 'Новый лид', '2025-01-10T10:00:00+03:00'],
      ['D1', 'Встреча', '2025-01-15T10:00:00+03:00'],
      ['D1', 'Успешно реализовано', '2025-01-25T12:00:00+03:00'],
      ['D2', 'Новый лид', '2025-01-11T10:00:00+03:00'],
      ['D2', 'Успешно реализовано', '2025-01-20T10:00:00+03:00'],
      ['D3', 'Новый лид', '2025-01-15T10:00:00+03:00'],
      ['D3', 'Закрыто и не реализовано', '2025-01-28T10:00:00+03:00'],
      ['D4', 'Новый лид', '2025-03-05T10:00:00+03:00'],
    ],
  });
  writeFileSync(join(dir, 'leads.csv'), csv(over.leads ?? LEADS));
  writeFileSync(join(dir, 'touches.csv'), csv(over.touches ?? TOUCHES));
  // Russian Excel: BOM and semicolons.
  writeFileSync(join(dir, 'spend.csv'), `\uFEFF${csv(over.spend ?? SPEND, ';')}`);
  writeFileSync(join(dir, 'icp.json'), JSON.stringify(over.icp ?? ICP));
  return dir;
}

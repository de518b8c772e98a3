import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BUNDLE_PIPELINE = {
  name: 'Продажи',
  currency: 'RUB',
  timezone: 'Europe/Moscow',
  stages: [
    { name: 'Новый лид', kind: 'open' },
    { name: 'Квалификация', kind: 'open' },
    { name: 'Встреча', kind: 'open' },
    { name: 'Успешно реализовано', kind: 'won' },
    { name: 'Закрыто и не реализовано', kind: 'lost' },
  ],
};

export interface BundleFiles {
  pipeline?: unknown;
  deals: string[][];
  events: string[][];
  delimiter?: string;
  bom?: boolean;
  crlf?: boolean;
  dealsHeader?: string[];
  eventsHeader?: string[];
}

const quote = (v: string, d: string) => (v.includes(d) || v.includes('"') || v.includes('\n') ? `"${v.replace(/"/g, '""')}"` : v);

/** Writes a bundle folder; rows are arrays of raw cell strings. */
export function writeBundle(f: BundleFiles, dir = mkdtempSync(join(tmpdir(), 'voronka-bundle-'))): string {
  mkdirSync(dir, { recursive: true });
  const d = f.delimiter ?? ',';
  const nl = f.crlf ? '\r\n' : '\n';
  const csv = (header: string[], rows: string[][]) =>
    (f.bom ? '\uFEFF' : '') + [header, ...rows].map((r) => r.map((v) => quote(v, d)).join(d)).join(nl) + nl;
  writeFileSync(join(dir, 'pipeline.json'), JSON.stringify(f.pipeline ?? BUNDLE_PIPELINE, null, 2));
  writeFileSync(
    join(dir, 'deals.csv'),
    csv(f.dealsHeader ?? ['deal_id', 'title', 'company', 'owner', 'segment', 'channel', 'region', 'amount', 'created_at'], f.deals),
  );
  writeFileSync(join(dir, 'stage_events.csv'), csv(f.eventsHeader ?? ['deal_id', 'stage', 'entered_at'], f.events));
  return dir;
}

/** A deal row with sensible defaults. */
export const dealRow = (
  id: string,
  over: Partial<Record<'title' | 'company' | 'owner' | 'segment' | 'channel' | 'region' | 'amount' | 'created_at', string>> = {},
) => [
  id,
  over.title ?? `Сделка ${id}`,
  over.company ?? 'ООО «Альфа»',
  over.owner ?? 'Иван Петров',
  over.segment ?? 'SMB',
  over.channel ?? 'Сайт',
  over.region ?? 'Москва',
  over.amount ?? '1000.00',
  over.created_at ?? '2025-01-10T10:00:00+03:00',
];

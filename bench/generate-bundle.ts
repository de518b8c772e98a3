import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rand } from '../src/platform/random.ts';

/**
 * Deterministic deal histories in the canonical bundle format, for the benchmark:
 * 7 open stages plus won and lost, about 8 stage entries per deal with moves back,
 * lost and reopened deals, three segments, 48 owners, six channels, eight regions,
 * over two years ending at `END`.
 */
export const END = new Date('2026-10-31T21:00:00Z');
export const STAGES = ['Новый лид', 'Квалификация', 'Встреча', 'Демо', 'КП отправлено', 'Переговоры', 'Договор'];
const SEGMENTS = ['SMB', 'Средний бизнес', 'Enterprise'];
const CHANNELS = ['Сайт', 'Контекст', 'E-mail', 'Выставки', 'Партнёры', 'Холодные звонки'];
const REGIONS = ['Москва', 'Санкт-Петербург', 'Екатеринбург', 'Новосибирск', 'Казань', 'Краснодар', 'Самара', 'Пермь'];
const OWNERS = Array.from({ length: 48 }, (_, i) => `Менеджер ${String(i + 1).padStart(2, '0')}`);
const DAY = 86_400_000;

class Out {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly stream: ReturnType<typeof createWriteStream>) {}
  async line(s: string) {
    this.parts.push(s);
    this.size += s.length;
    if (this.size > 1 << 20) await this.flush();
  }
  async flush() {
    if (this.parts.length === 0) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (!this.stream.write(chunk)) await new Promise<void>((r) => this.stream.once('drain', () => r()));
  }
  async close() {
    await this.flush();
    await new Promise<void>((r) => this.stream.end(() => r()));
  }
}

export async function generateBundle(dir: string, deals: number, seed = 42): Promise<{ deals: number; entries: number; dir: string }> {
  const marker = join(dir, 'generated.json');
  if (existsSync(marker)) {
    const m = JSON.parse(readFileSync(marker, 'utf8'));
    if (m.deals === deals && m.seed === seed) return { ...m, dir };
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'pipeline.json'),
    JSON.stringify({
      name: 'Продажи B2B',
      currency: 'RUB',
      timezone: 'Europe/Moscow',
      stages: [
        ...STAGES.map((name) => ({ name, kind: 'open' })),
        { name: 'Успешно реализовано', kind: 'won' },
        { name: 'Закрыто и не реализовано', kind: 'lost' },
      ],
    }),
  );
  const rand = new Rand(seed);
  const d = new Out(createWriteStream(join(dir, 'deals.csv')));
  const e = new Out(createWriteStream(join(dir, 'stage_events.csv')));
  await d.line('deal_id,title,company,owner,segment,channel,region,amount,created_at\n');
  await e.line('deal_id,stage,entered_at\n');
  const end = END.getTime();
  const start = end - 730 * DAY;
  let entries = 0;
  const WON = 'Успешно реализовано';
  const LOST = 'Закрыто и не реализовано';
  for (let i = 0; i < deals; i++) {
    const id = `B${i}`;
    const seg = rand.int(0, 2);
    let t = start + Math.floor(rand.float() * (end - start));
    const created = t;
    const amount = Math.round(rand.lognormal([300_000, 1_500_000, 8_000_000][seg], 0.6)) / 1;
    await d.line(
      `${id},Сделка ${i},Компания ${rand.int(1, 50_000)},${rand.pick(OWNERS)},${SEGMENTS[seg]},${rand.pick(CHANNELS)},${rand.pick(REGIONS)},${amount}.00,${new Date(created).toISOString()}\n`,
    );
    let stage = 0;
    let reopened = false;
    await e.line(`${id},${STAGES[0]},${new Date(t).toISOString()}\n`);
    entries++;
    for (let step = 0; step < 30; step++) {
      t += Math.floor(rand.lognormal(3 * DAY * (seg + 1), 0.9));
      if (t >= end) break;
      const r = rand.float();
      let next: string;
      if (stage === -1) {
        if (reopened || !rand.chance(0.06)) break;
        reopened = true;
        stage = rand.int(2, 5);
        next = STAGES[stage];
      } else if (r < 0.86) {
        stage++;
        next = stage === STAGES.length ? WON : STAGES[stage];
      } else if (r < 0.965 && stage > 0) {
        stage--;
        next = STAGES[stage];
      } else {
        stage = -1;
        next = LOST;
      }
      await e.line(`${id},${next},${new Date(t).toISOString()}\n`);
      entries++;
      if (next === WON) break;
    }
  }
  await d.close();
  await e.close();
  const meta = { deals, seed, entries };
  writeFileSync(marker, JSON.stringify(meta));
  return { ...meta, dir };
}

import { loadDemo } from '../demo/load-demo.ts';
import { systemClock } from '../platform/clock.ts';
import { cliLocale, type DbOptions, say, withDb } from './cli-support.ts';
import { count, NOUNS, type Noun, seconds } from './wording.ts';

/** What the demo made, in the order the counts are printed. */
const MADE: Record<string, Noun> = {
  users: NOUNS.user,
  companies: NOUNS.company,
  contacts: NOUNS.contact,
  deals: NOUNS.deal,
  stage_events: NOUNS.stageEntry,
  leads: NOUNS.lead,
  activities: NOUNS.activity,
  tasks: NOUNS.task,
};

/** `voronka demo`: the demo workspace, deterministic per seed. */
export async function demoCommand(opts: DbOptions & { seed: string; asOf?: string; workspace: string }): Promise<void> {
  const seed = Number(opts.seed);
  if (!Number.isSafeInteger(seed))
    throw new Error(say(`--seed must be an integer, got "${opts.seed}"`, `--seed должно быть целым числом, получено «${opts.seed}»`));
  const asOf = opts.asOf ? new Date(opts.asOf) : systemClock.now();
  if (Number.isNaN(asOf.getTime())) throw new Error(say(`--as-of is not a date: "${opts.asOf}"`, `--as-of — не дата: «${opts.asOf}»`));
  await withDb(opts, async (db) => {
    const started = Date.now();
    const r = await loadDemo(db, { seed, asOf, name: opts.workspace, now: systemClock.now() });
    process.stdout.write(
      say(
        `Created workspace "${r.workspace}" in ${seconds((Date.now() - started) / 1000, 'en')}:\n`,
        `Создано пространство «${r.workspace}» за ${seconds((Date.now() - started) / 1000, 'ru')}:\n`,
      ),
    );
    for (const [k, v] of Object.entries(r.counts)) process.stdout.write(`  ${MADE[k] ? count(v, MADE[k], cliLocale()) : `${k}: ${v}`}\n`);
    process.stdout.write(say('Sign in as:\n', 'Вход:\n'));
    for (const s of r.signIn) process.stdout.write(`  ${s.email} / ${s.password}\n`);
  });
}

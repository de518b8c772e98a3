import { loadDemo } from '../demo/load-demo.ts';
import { systemClock } from '../platform/clock.ts';
import { type DbOptions, say, withDb } from './cli-support.ts';

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
        `Created workspace "${r.workspace}" in ${((Date.now() - started) / 1000).toFixed(1)} s:\n`,
        `Создано пространство «${r.workspace}» за ${((Date.now() - started) / 1000).toFixed(1).replace('.', ',')} с:\n`,
      ),
    );
    for (const [k, v] of Object.entries(r.counts)) process.stdout.write(`  ${k.padEnd(14)} ${v}\n`);
    process.stdout.write(say('Sign in as:\n', 'Вход:\n'));
    for (const s of r.signIn) process.stdout.write(`  ${s.email} / ${s.password}\n`);
  });
}

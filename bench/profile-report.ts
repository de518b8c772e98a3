/** Times every statement of one funnel report: npx tsx bench/profile-report.ts '{"from":"2026-08-01","to":"2026-11-01"}' [database url] */
import { resolveFunnelQuery } from '../src/analytics/funnel-query.ts';
import { funnelReport } from '../src/analytics/funnel-report.ts';
import { PgDb } from '../src/platform/db/pg-db.ts';
import { inWorkspace } from '../src/platform/db/workspace-scope.ts';

const db = new PgDb(process.argv[3] ?? 'postgres://postgres@127.0.0.1:5432/voronka_bench');
const [{ workspace_id: ws }] = await db.query<{ workspace_id: number }>(`select workspace_id from workspaces where name = 'Bench'`);
const params = JSON.parse(process.argv[2] ?? '{"from":"2026-08-01","to":"2026-11-01"}');
for (let run = 0; run < 2; run++) {
  const t0 = performance.now();
  await inWorkspace(db, ws, async (tx) => {
    const wrap =
      (f: any) =>
      async (...a: any[]) => {
        const t = performance.now();
        const r = await f(...a);
        if (run === 1)
          console.log(
            Math.round(performance.now() - t),
            'ms',
            String(typeof a[0] === 'string' ? a[0] : a[0].text)
              .replace(/\s+/g, ' ')
              .slice(0, 110),
          );
        return r;
      };
    const ttx = {
      engine: tx.engine,
      query: wrap(tx.query.bind(tx)),
      run: wrap(tx.run.bind(tx)),
      exec: wrap(tx.exec.bind(tx)),
      copyFrom: tx.copyFrom.bind(tx),
    };
    return funnelReport(ttx, await resolveFunnelQuery(ttx, ws, params, new Date('2026-11-20T00:00:00Z')));
  });
  if (run === 1) console.log('total', Math.round(performance.now() - t0), 'ms');
}
await db.close();

/**
 * The count of successful writes through this process per workspace: a cache entry remembers the
 * count it was made at and is stale once the count has moved. One counter for every cache whose
 * entries cannot name the rows they came from (reports, the deal card's configuration,
 * credentials), bumped in one place (`buildServer`) before a write's answer leaves, so a client that
 * reads right after its write's answer never gets what was there before it. Another process's
 * writes are not counted here: those entries also expire after their time to live.
 */
export class WorkspaceWrites {
  private readonly counts = new Map<number, number>();

  of(ws: number): number {
    return this.counts.get(ws) ?? 0;
  }

  written(ws: number) {
    this.counts.set(ws, this.of(ws) + 1);
  }
}

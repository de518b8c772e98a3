import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export type AxeProblem = { id: string; impact: string; nodes: string[] };

/**
 * axe-core over the given parts of the page (the whole document when none are given): the
 * serious and critical violations of WCAG 2.1 A and AA, each with the elements it was found on.
 */
export async function axeProblems(page: Page, selectors: string[] = []): Promise<AxeProblem[]> {
  // Evaluated, not added as a <script>: the app's Content-Security-Policy refuses inline scripts, as it should.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const violations = await page.evaluate(async (include) => {
    const axe = (window as unknown as { axe: { run: (c: unknown, o: unknown) => Promise<{ violations: any[] }> } }).axe;
    const r = await axe.run(include.length ? { include: include.map((s) => [s]) } : document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n: any) => n.target.join(' ')) }));
  }, selectors);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

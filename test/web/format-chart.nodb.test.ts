import { describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  const g = globalThis as Record<string, unknown>;
  g.localStorage = { getItem: (k: string) => (k === 'voronka.lang' ? 'ru' : null), setItem: () => {} };
  g.document = { documentElement: { lang: '' } };
  if (!('navigator' in globalThis)) g.navigator = { language: 'ru-RU' };
});

const { default: i18n } = await import('../../web/src/i18n.ts');
const { localizeChartOption } = await import('../../web/src/chart.tsx');

const NB = '\u00a0';
type Fn = (v: unknown) => string;
type Axis = { axisLabel: { formatter: Fn }; axisPointer?: { label: { formatter: (p: { value: string }) => string } }; data?: string[] };
type Series = { label?: { formatter: Fn }; tooltip: { valueFormatter: Fn } };

/** The trends chart as the dashboard builds it: month keys, a percent axis, a count axis. */
const trends = {
  xAxis: { type: 'category', data: ['2026-01', '2026-02', '2026-12'] },
  yAxis: [{ type: 'value', axisLabel: { formatter: '{value}%' } }, { type: 'value' }],
  series: [
    { name: 'Доля выигранных', type: 'line', data: [66.8, null, 10] },
    { name: 'Цикл', type: 'bar', yAxisIndex: 1, data: [1234, 12, 3] },
  ],
};
/** The funnel chart's conversion line: labels '{c}%'. */
const funnel = {
  xAxis: { type: 'category', data: ['Новый лид', 'Встреча'] },
  yAxis: [{ type: 'value' }, { type: 'value', axisLabel: { formatter: '{value}%' } }],
  series: [{ type: 'line', yAxisIndex: 1, label: { show: true, formatter: '{c}%' }, data: [66.8, 50] }],
};

describe('chart numbers and months in the app’s language', () => {
  it('Russian: «янв 2026», «66,8 %», «1 234»', async () => {
    await i18n.changeLanguage('ru');
    const o = localizeChartOption(trends) as { xAxis: Axis; yAxis: Axis[]; series: Series[] };
    expect(o.xAxis.data).toEqual(['2026-01', '2026-02', '2026-12']);
    expect(o.xAxis.axisLabel.formatter('2026-01')).toBe('янв 2026');
    expect(o.xAxis.axisLabel.formatter('2026-12')).toBe('дек 2026');
    expect(o.xAxis.axisPointer?.label.formatter({ value: '2026-02' })).toBe('февр 2026');
    expect(o.yAxis[0].axisLabel.formatter(66.8)).toBe(`66,8${NB}%`);
    expect(o.yAxis[1].axisLabel.formatter(1234)).toBe(`1${NB}234`);
    expect(o.series[0].tooltip.valueFormatter(66.8)).toBe(`66,8${NB}%`);
    expect(o.series[0].tooltip.valueFormatter(null)).toBe('—');
    expect(o.series[1].tooltip.valueFormatter(1234)).toBe(`1${NB}234`);
    const f = localizeChartOption(funnel) as { xAxis: Axis; series: Series[] };
    expect(f.xAxis.axisLabel.formatter).toBeUndefined();
    expect(f.series[0].label?.formatter({ value: 66.8 })).toBe(`66,8${NB}%`);
    // The caller's option is not changed.
    expect(trends.yAxis[0].axisLabel?.formatter).toBe('{value}%');
  });

  it('English: "Jan 2026", "66.8%", "1,234"', async () => {
    await i18n.changeLanguage('en');
    const o = localizeChartOption(trends) as { xAxis: Axis; yAxis: Axis[]; series: Series[] };
    expect(o.xAxis.axisLabel.formatter('2026-01')).toBe('Jan 2026');
    expect(o.yAxis[0].axisLabel.formatter(66.8)).toBe('66.8%');
    expect(o.yAxis[1].axisLabel.formatter(1234)).toBe('1,234');
    const f = localizeChartOption(funnel) as { series: Series[] };
    expect(f.series[0].label?.formatter({ value: 66.8 })).toBe('66.8%');
    await i18n.changeLanguage('ru');
  });
});

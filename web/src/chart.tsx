import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useMemo, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { monthLabel, num, percentPoints } from './format';

// Only what the dashboards draw: keeps the chart chunk small.
echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export type ChartOption = echarts.EChartsCoreOption;

// Charts are built one per task, in the order they mount: the page paints its figures and the
// first chart before the next chart is built, instead of after all of them in one long task.
const queue: (() => void)[] = [];
let draining = false;
function drawSoon(job: () => void) {
  queue.push(job);
  if (!draining) {
    draining = true;
    setTimeout(drain, 0);
  }
}
function drain() {
  try {
    queue.shift()?.();
  } finally {
    // a chart that fails to build must not stop the ones after it
    if (queue.length) setTimeout(drain, 0);
    else draining = false;
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : isObj(v) ? [v] : []);
const PERCENT = new Set(['{value}%', '{c}%', '{value} %', '{c} %']);
const MONTH = /^\d{4}-\d{2}$/;
const pointValue = (p: unknown) => {
  const v = isObj(p) ? p.value : p;
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && typeof v[1] === 'number') return v[1];
  return typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
};

/**
 * Writes a chart's numbers and months the app's way, whatever its option says in ECharts' own
 * terms: a value axis "1 234" / "1,234", a percent formatter ('{value}%', '{c}%') "66,8 %" /
 * "66.8%", a category axis of month keys ("2026-01") "янв 2026" / "Jan 2026" (the data stays the
 * key, so a click still names it), and the tooltip's values and heading likewise. A formatter that
 * is already a function is left alone. `lang` is only there to redo the work when it changes.
 */
export function localizeChartOption(option: ChartOption, _lang?: string): ChartOption {
  const o: Obj = { ...(option as Obj) };
  const percentAxes = new Set<number>();
  const axes = (key: 'xAxis' | 'yAxis') => {
    const given = o[key];
    if (given === undefined) return;
    const out = list(given).map((axis, i) => {
      const a: Obj = { ...axis };
      const label: Obj = isObj(a.axisLabel) ? { ...a.axisLabel } : {};
      const f = label.formatter;
      if (a.type === 'category' || (a.type === undefined && Array.isArray(a.data))) {
        const data = Array.isArray(a.data) ? a.data : [];
        if (data.length > 0 && data.every((d) => typeof d === 'string' && MONTH.test(d))) {
          if (f === undefined) label.formatter = (v: string) => monthLabel(v);
          a.axisPointer = {
            ...(isObj(a.axisPointer) ? a.axisPointer : {}),
            label: { formatter: (p: { value: string }) => monthLabel(String(p.value)) },
          };
        }
      } else if (a.type === 'value' || a.type === undefined) {
        if (typeof f === 'string' && PERCENT.has(f)) {
          percentAxes.add(i);
          label.formatter = (v: number) => percentPoints(v, 1);
        } else if (f === undefined) label.formatter = (v: number) => num(v, 1);
      }
      a.axisLabel = label;
      return a;
    });
    o[key] = Array.isArray(given) ? out : out[0];
  };
  axes('xAxis');
  axes('yAxis');
  if (o.series !== undefined) {
    const out = list(o.series).map((series) => {
      const s: Obj = { ...series };
      const label = isObj(s.label) ? { ...s.label } : null;
      const percent =
        (label && typeof label.formatter === 'string' && PERCENT.has(label.formatter)) || percentAxes.has(Number(s.yAxisIndex ?? 0));
      if (label && typeof label.formatter === 'string' && PERCENT.has(label.formatter))
        label.formatter = (p: unknown) => percentPoints(pointValue(p), 1);
      if (label) s.label = label;
      const tooltip: Obj = isObj(s.tooltip) ? { ...s.tooltip } : {};
      if (tooltip.valueFormatter === undefined)
        tooltip.valueFormatter = (v: unknown) => (percent ? percentPoints(pointValue(v), 1) : num(pointValue(v), 1));
      s.tooltip = tooltip;
      return s;
    });
    o.series = Array.isArray(o.series) ? out : out[0];
  }
  return o as ChartOption;
}

/** An ECharts chart that resizes with its box and reports clicks on data. */
export function EChart({
  option,
  onClick,
  height = 300,
  label,
}: {
  option: ChartOption;
  onClick?: (p: { name: string; seriesName?: string; dataIndex: number }) => void;
  height?: number;
  label: string;
}) {
  const { i18n } = useTranslation();
  const localized = useMemo(() => localizeChartOption(option, i18n.language), [option, i18n.language]);
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const click = useRef(onClick);
  click.current = onClick;
  const latest = useRef(localized);
  latest.current = localized;
  useEffect(() => {
    let gone = false;
    let ro: ResizeObserver | undefined;
    drawSoon(() => {
      if (gone || !el.current) return;
      const c = echarts.init(el.current, undefined, { renderer: 'canvas' });
      chart.current = c;
      c.setOption(latest.current, true);
      c.on('click', (p) => click.current?.(p as unknown as { name: string; seriesName?: string; dataIndex: number }));
      ro = new ResizeObserver(() => c.resize());
      ro.observe(el.current);
    });
    return () => {
      gone = true;
      ro?.disconnect();
      chart.current?.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption(localized, true);
  }, [localized]);
  return <div ref={el} style={{ height }} role="img" aria-label={label} className="chart" />;
}

import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';

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
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const click = useRef(onClick);
  click.current = onClick;
  const latest = useRef(option);
  latest.current = option;
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
    chart.current?.setOption(option, true);
  }, [option]);
  return <div ref={el} style={{ height }} role="img" aria-label={label} className="chart" />;
}

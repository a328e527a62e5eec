// SPDX-License-Identifier: GPL-3.0-or-later
// A uPlot chart as a preact component: created once per option set, data swapped in place.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { bytes, rate } from '../format.js';

let firstChartMarked = false;

export function Chart({ opts, data, testid, height = 220 }) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    const el = box.current;
    plot.current = new uPlot({ ...opts, width: Math.max(el.clientWidth, 300), height }, data, el);
    el.dataset.ready = 'true';
    if (!firstChartMarked) {
      firstChartMarked = true;
      performance.mark('websmbta-first-chart');
    }
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(el.clientWidth, 300), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [opts]);
  useEffect(() => {
    plot.current?.setData(data);
    // What the chart shows, for tests and scripts that cannot read a canvas.
    const el = box.current;
    el.dataset.points = String(data[0].length);
    el.dataset.sum = String(data.slice(1).reduce((a, ys) => a + ys.reduce((b, y) => b + (Number(y) || 0), 0), 0));
  }, [data]);
  return <div class="chart" ref={box} data-testid={testid} />;
}

// Rates and bytes start at 0, whatever the data's minimum.
const fromZero = { range: (u, min, max) => [0, Math.max(max * 1.1, 1)] };

const READ = '#2b6cb0';
const WRITE = '#c05621';
const BOTH = '#2f855a';

// The 24-hour usage profile: one bar per hour of the day.
export const usageOpts = {
  scales: { x: { time: false, range: [-0.5, 23.5] } },
  axes: [
    { incrs: [1, 2, 3, 4, 6], values: (u, vals) => vals.map((v) => `${v}h`) },
    { values: (u, vals) => vals.map(bytes), size: 80 },
  ],
  legend: { show: false },
  series: [
    {},
    {
      label: 'Bytes',
      stroke: BOTH,
      fill: 'rgba(47,133,90,0.45)',
      paths: uPlot.paths.bars({ size: [0.7, 60] }),
      points: { show: false },
    },
  ],
};

// Bytes per second over time (unix seconds on x).
export const throughputOpts = {
  scales: { y: fromZero },
  axes: [{}, { values: (u, vals) => vals.map(rate), size: 90 }],
  series: [{}, { label: 'Rate', stroke: BOTH, fill: 'rgba(47,133,90,0.15)', value: (u, v) => rate(v) }],
};

// The live view's moving graph: read and write bytes per second.
export const liveOpts = {
  scales: { x: { range: (u, min, max) => [max - 120, max] }, y: fromZero },
  axes: [{}, { values: (u, vals) => vals.map(rate), size: 90 }],
  series: [
    {},
    { label: 'Read', stroke: READ, value: (u, v) => rate(v) },
    { label: 'Write', stroke: WRITE, value: (u, v) => rate(v) },
  ],
};

// Bytes read and written per day (trend): local midnights on x.
export const trendOpts = {
  scales: { y: fromZero },
  axes: [{}, { values: (u, vals) => vals.map(bytes), size: 80 }],
  series: [
    {},
    { label: 'Read', stroke: READ, value: (u, v) => bytes(v) },
    { label: 'Written', stroke: WRITE, value: (u, v) => bytes(v) },
  ],
};

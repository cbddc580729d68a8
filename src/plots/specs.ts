/**
 * Every chart optical draws, declared as a Vega-Lite spec with its data inlined. The spec is the
 * product: it is rendered to SVG offline (./render.ts) for report.md and report.html, and saved next
 * to the SVG (`*.vl.json`) so a reader can restyle or re-plot it in a notebook (Altair
 * `alt.Chart.from_json`, vega-embed, Observable) without optical. This file only builds plain
 * objects (no rendering dependency), checks the numbers, and keeps one palette and one style.
 */

/** A Vega-Lite (v6) specification as JSON. */
export type VegaLiteSpec = Record<string, unknown>;

/** Colour-blind-safe palette (Okabe–Ito), used by every chart. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const CONFIG = {
  font: 'sans-serif',
  title: { fontSize: 14, anchor: 'start' },
  axis: { labelFontSize: 11, titleFontSize: 12, labelLimit: 260 },
  legend: { labelFontSize: 11, labelLimit: 260 },
  range: { category: PALETTE },
  view: { stroke: '#999999' },
};

function base(title: string, width: number | { step: number } = 520): VegaLiteSpec {
  return { $schema: SCHEMA, title, width, config: CONFIG };
}

function checkFinite(fn: string, what: string, v: number | undefined): void {
  if (v !== undefined && !Number.isFinite(v)) throw new RangeError(`${fn}: ${what} must be finite, got ${v}`);
}

/** One bar with an optional interval; `marked` flags a significant difference from the baseline. */
export interface IntervalBar {
  label: string;
  value: number;
  lower?: number;
  upper?: number;
  marked?: boolean;
}

/**
 * Horizontal bars (one per method) with interval whiskers; marked bars get ' *' after the label
 * (the text under the chart says what the mark means).
 */
export function intervalBarSpec(o: { title: string; bars: readonly IntervalBar[]; xLabel: string; subtitle?: string }): VegaLiteSpec {
  o.bars.forEach((b, i) => {
    checkFinite('intervalBarSpec', `bars[${i}] (${b.label}) value`, b.value);
    checkFinite('intervalBarSpec', `bars[${i}] (${b.label}) lower`, b.lower);
    checkFinite('intervalBarSpec', `bars[${i}] (${b.label}) upper`, b.upper);
  });
  const values = o.bars.map((b) => ({ label: `${b.label}${b.marked ? ' *' : ''}`, value: b.value, lower: b.lower ?? null, upper: b.upper ?? null, marked: b.marked === true }));
  // An explicit order (the caller's): layered marks ignore a sort by another field.
  const order = values.map((v) => v.label);
  const y = { field: 'label', type: 'nominal', sort: order, title: null };
  return {
    ...base(o.title),
    ...(o.subtitle ? { title: { text: o.title, subtitle: o.subtitle } } : {}),
    height: { step: 22 },
    data: { values },
    layer: [
      { mark: 'bar', encoding: { y, x: { field: 'value', type: 'quantitative', title: o.xLabel, scale: { zero: true } }, color: { field: 'label', type: 'nominal', sort: order, legend: null }, tooltip: [{ field: 'label', title: 'method' }, { field: 'value', format: '.4f' }, { field: 'lower', format: '.4f' }, { field: 'upper', format: '.4f' }] } },
      { transform: [{ filter: 'isValid(datum.lower) && isValid(datum.upper)' }], mark: { type: 'errorbar', ticks: true, color: '#000000' }, encoding: { y, x: { field: 'lower', type: 'quantitative', title: o.xLabel }, x2: { field: 'upper' } } },
    ],
  };
}

/** Grouped vertical bars (one group per measure, one bar per run) with interval whiskers. */
export function groupedIntervalBarSpec(o: { title: string; groups: readonly string[]; series: readonly { name: string; values: readonly { value: number; lower?: number; upper?: number }[] }[]; yLabel?: string }): VegaLiteSpec {
  if (o.groups.length === 0) throw new RangeError('groupedIntervalBarSpec: groups must not be empty');
  if (o.series.length === 0) throw new RangeError('groupedIntervalBarSpec: series must not be empty');
  const values: Record<string, unknown>[] = [];
  o.series.forEach((s, si) => {
    if (s.values.length !== o.groups.length) throw new RangeError(`groupedIntervalBarSpec: series[${si}] ('${s.name}') has ${s.values.length} values for ${o.groups.length} groups`);
    s.values.forEach((v, gi) => {
      for (const k of ['value', 'lower', 'upper'] as const) checkFinite('groupedIntervalBarSpec', `series[${si}].values[${gi}].${k}`, v[k]);
      if (v.value < 0 || (v.lower ?? 0) < 0) throw new RangeError('groupedIntervalBarSpec: negative values are not supported (bars start at 0)');
      values.push({ group: o.groups[gi], series: s.name, value: v.value, lower: v.lower ?? null, upper: v.upper ?? null });
    });
  });
  const seriesOrder = o.series.map((s) => s.name);
  const x = { field: 'group', type: 'nominal', sort: [...o.groups], title: null, axis: { labelAngle: 0 } };
  const xOffset = { field: 'series', type: 'nominal', sort: seriesOrder };
  return {
    ...base(o.title, { step: Math.max(60, 26 * o.series.length) }),
    height: 260,
    data: { values },
    layer: [
      { mark: 'bar', encoding: { x, xOffset, y: { field: 'value', type: 'quantitative', title: o.yLabel ?? null }, color: { field: 'series', type: 'nominal', sort: seriesOrder, title: null, legend: { orient: 'bottom', direction: 'vertical' } }, tooltip: [{ field: 'series' }, { field: 'group' }, { field: 'value', format: '.4f' }, { field: 'lower', format: '.4f' }, { field: 'upper', format: '.4f' }] } },
      { transform: [{ filter: 'isValid(datum.lower) && isValid(datum.upper)' }], mark: { type: 'errorbar', ticks: true, color: '#000000' }, encoding: { x, xOffset, y: { field: 'lower', type: 'quantitative', title: o.yLabel ?? null }, y2: { field: 'upper' } } },
    ],
  };
}

export interface Series {
  label: string;
  points: readonly { x: number; y: number }[];
}

/** Line chart, one line per series (e.g. training loss per method); non-finite points are left out. */
export function lineSpec(o: { title: string; series: readonly Series[]; xLabel: string; yLabel: string }): VegaLiteSpec {
  const values = o.series.flatMap((s) => s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).map((p) => ({ series: s.label, x: p.x, y: p.y })));
  if (values.length === 0) throw new RangeError('lineSpec: no points');
  return {
    ...base(o.title),
    height: 280,
    data: { values },
    mark: { type: 'line', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: o.xLabel },
      y: { field: 'y', type: 'quantitative', title: o.yLabel, scale: { zero: false } },
      color: { field: 'series', type: 'nominal', sort: o.series.map((s) => s.label), title: null },
      tooltip: [{ field: 'series' }, { field: 'x' }, { field: 'y', format: '.4f' }],
    },
  };
}

/** Scatter plot; points may carry a label drawn next to them. */
export function scatterSpec(o: { title: string; points: readonly { x: number; y: number; label?: string }[]; xLabel: string; yLabel: string }): VegaLiteSpec {
  if (o.points.length === 0) throw new RangeError('scatterSpec: no points');
  o.points.forEach((p, i) => {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) throw new RangeError(`scatterSpec: point ${i} is not finite (${p.x}, ${p.y})`);
  });
  const x = { field: 'x', type: 'quantitative', title: o.xLabel, scale: { zero: false } };
  const y = { field: 'y', type: 'quantitative', title: o.yLabel, scale: { zero: false } };
  return {
    ...base(o.title),
    height: 320,
    data: { values: o.points.map((p) => ({ x: p.x, y: p.y, label: p.label ?? '' })) },
    layer: [
      { mark: { type: 'point', filled: true, size: 50, color: PALETTE[0] }, encoding: { x, y, tooltip: [{ field: 'label' }, { field: 'x' }, { field: 'y' }] } },
      { mark: { type: 'text', align: 'left', dx: 6, dy: -6, fontSize: 10 }, encoding: { x, y, text: { field: 'label' } } },
    ],
  };
}

/**
 * Stacked shares (each row sums to 1): e.g. the share of each document language among a method's
 * top-k, next to the share among the relevant documents.
 */
export function shareBarSpec(o: { title: string; rows: readonly { row: string; shares: Record<string, number> }[]; categoryTitle: string }): VegaLiteSpec {
  const values = o.rows.flatMap((r) => Object.entries(r.shares).map(([category, share]) => {
    checkFinite('shareBarSpec', `${r.row} ${category}`, share);
    return { row: r.row, category, share };
  }));
  if (values.length === 0) throw new RangeError('shareBarSpec: no shares');
  return {
    ...base(o.title),
    height: { step: 22 },
    data: { values },
    mark: 'bar',
    encoding: {
      y: { field: 'row', type: 'nominal', sort: o.rows.map((r) => r.row), title: null },
      x: { field: 'share', type: 'quantitative', stack: 'normalize', title: 'share', axis: { format: '%' } },
      color: { field: 'category', type: 'nominal', title: o.categoryTitle, legend: { orient: 'bottom' } },
      order: { field: 'category' },
      tooltip: [{ field: 'row' }, { field: 'category' }, { field: 'share', format: '.1%' }],
    },
  };
}

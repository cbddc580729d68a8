/**
 * A small, dependency-free SVG writer for grouped bar charts with confidence-interval whiskers
 * (one group per measure, one bar per run). Deterministic output (fixed number formatting), so
 * tests can check structure and positions, and the file opens in any browser or paper pipeline.
 */

export interface BarValue {
  value: number;
  /** Optional interval; drawn as a whisker with caps. */
  lower?: number;
  upper?: number;
}

export interface BarSeries {
  name: string;
  values: BarValue[];
}

export interface BarChartSpec {
  title: string;
  /** Category labels along the x axis (e.g. measures). */
  groups: string[];
  /** One series per run; values[i] belongs to groups[i]. */
  series: BarSeries[];
  yLabel?: string;
  width?: number;
  height?: number;
  /** Upper end of the y axis; default: a nice number ≥ every value/upper bound (≥ 1 for IR scores in [0,1]). */
  yMax?: number;
}

// Colour-blind-safe palette (Okabe–Ito).
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const fmt = (x: number) => (Math.round(x * 100) / 100).toString();

/** Tick step of 1, 2 or 5 × 10^k giving about `target` ticks. */
export function niceStep(max: number, target = 5): number {
  const raw = max / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

export function renderBarChart(spec: BarChartSpec): string {
  const { groups, series } = spec;
  if (groups.length === 0) throw new RangeError('bar chart: groups must not be empty');
  if (series.length === 0) throw new RangeError('bar chart: series must not be empty');
  series.forEach((s, si) => {
    if (s.values.length !== groups.length) throw new RangeError(`bar chart: series[${si}] ('${s.name}') has ${s.values.length} values for ${groups.length} groups`);
    s.values.forEach((v, gi) => {
      for (const [k, x] of [['value', v.value], ['lower', v.lower], ['upper', v.upper]] as const) {
        if (x !== undefined && !Number.isFinite(x)) throw new TypeError(`bar chart: series[${si}].values[${gi}].${k} must be finite, got ${x}`);
      }
    });
  });
  const width = spec.width ?? Math.max(480, 120 + groups.length * (series.length * 22 + 30));
  const height = spec.height ?? 360;
  const legendH = 18 * series.length;
  const margin = { top: 40, right: 20, bottom: 50 + legendH, left: 60 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  if (plotW <= 0 || plotH <= 0) throw new RangeError(`bar chart: ${width}×${height} is too small for ${series.length} series`);
  let dataMax = 0;
  let dataMin = 0;
  for (const s of series) for (const v of s.values) {
    dataMax = Math.max(dataMax, v.value, v.upper ?? v.value);
    dataMin = Math.min(dataMin, v.value, v.lower ?? v.value);
  }
  if (dataMin < 0) throw new RangeError('bar chart: negative values are not supported (bars start at 0)');
  const step = niceStep(spec.yMax ?? Math.max(dataMax, 1e-9));
  const yMax = spec.yMax ?? Math.max(step, Math.ceil(dataMax / step - 1e-9) * step);
  const y = (v: number) => margin.top + plotH * (1 - Math.min(v, yMax) / yMax);
  const groupW = plotW / groups.length;
  const barW = Math.min(40, (groupW * 0.8) / series.length);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<title>${escapeXml(spec.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${fmt(width / 2)}" y="22" text-anchor="middle" font-size="15">${escapeXml(spec.title)}</text>`);
  // Y axis with grid lines and tick labels.
  out.push('<g class="y-axis">');
  for (let t = 0; t <= yMax + step / 1e6; t += step) {
    const yy = fmt(y(t));
    out.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${yy}" y2="${yy}" stroke="#dddddd"/>`);
    out.push(`<text x="${margin.left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${fmt(t)}</text>`);
  }
  out.push(`<line x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${margin.top + plotH}" stroke="#000000"/>`);
  if (spec.yLabel) {
    out.push(`<text transform="translate(16 ${fmt(margin.top + plotH / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text>`);
  }
  out.push('</g>');
  // X axis and group labels.
  out.push(`<line class="x-axis" x1="${margin.left}" x2="${margin.left + plotW}" y1="${margin.top + plotH}" y2="${margin.top + plotH}" stroke="#000000"/>`);
  groups.forEach((g, gi) => {
    out.push(`<text class="group-label" x="${fmt(margin.left + groupW * (gi + 0.5))}" y="${margin.top + plotH + 18}" text-anchor="middle">${escapeXml(g)}</text>`);
  });
  // Bars and whiskers.
  series.forEach((s, si) => {
    const colour = PALETTE[si % PALETTE.length];
    out.push(`<g class="series" data-name="${escapeXml(s.name)}" fill="${colour}">`);
    s.values.forEach((v, gi) => {
      const x0 = margin.left + groupW * gi + (groupW - barW * series.length) / 2 + barW * si;
      const top = y(v.value);
      out.push(`<rect class="bar" x="${fmt(x0)}" y="${fmt(top)}" width="${fmt(barW * 0.9)}" height="${fmt(margin.top + plotH - top)}"><title>${escapeXml(`${s.name} ${groups[gi]}: ${v.value.toFixed(4)}`)}</title></rect>`);
      if (v.lower !== undefined && v.upper !== undefined) {
        const cx = fmt(x0 + barW * 0.45);
        const cap = barW * 0.2;
        out.push(`<g class="whisker" stroke="#000000"><line x1="${cx}" x2="${cx}" y1="${fmt(y(v.lower))}" y2="${fmt(y(v.upper))}"/>` +
          `<line x1="${fmt(x0 + barW * 0.45 - cap)}" x2="${fmt(x0 + barW * 0.45 + cap)}" y1="${fmt(y(v.lower))}" y2="${fmt(y(v.lower))}"/>` +
          `<line x1="${fmt(x0 + barW * 0.45 - cap)}" x2="${fmt(x0 + barW * 0.45 + cap)}" y1="${fmt(y(v.upper))}" y2="${fmt(y(v.upper))}"/></g>`);
      }
    });
    out.push('</g>');
  });
  // Legend.
  series.forEach((s, si) => {
    const ly = height - legendH - 8 + si * 18;
    out.push(`<g class="legend"><rect x="${margin.left}" y="${ly}" width="12" height="12" fill="${PALETTE[si % PALETTE.length]}"/>` +
      `<text x="${margin.left + 18}" y="${ly + 10}">${escapeXml(s.name)}</text></g>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/**
 * Small dependency-free SVG charts for the compare report: horizontal bars with confidence
 * intervals (method comparison), line charts (training curves) and scatter plots (CS frequency vs
 * robustness). Plain SVG 1.1 so the files open in any browser and embed in Markdown.
 */

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(3)));
}

function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

export interface Bar {
  label: string;
  value: number;
  lower?: number;
  upper?: number;
  /** Marks a significant difference from the baseline. */
  marked?: boolean;
}

/** Horizontal bar chart with error bars (CI); values must be finite. */
export function barChartSvg(title: string, bars: readonly Bar[], xLabel: string): string {
  bars.forEach((b, i) => {
    if (!Number.isFinite(b.value)) throw new RangeError(`barChartSvg: bars[${i}] (${b.label}) has value ${b.value}`);
  });
  const rowH = 22;
  const left = 170;
  const width = 640;
  const plotW = width - left - 30;
  const top = 40;
  const height = top + bars.length * rowH + 45;
  const max = niceMax(Math.max(...bars.map((b) => b.upper ?? b.value), 0));
  const x = (v: number) => left + (Math.max(0, v) / max) * plotW;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`];
  for (let t = 0; t <= 4; t++) {
    const v = (max * t) / 4;
    out.push(`<line x1="${x(v)}" y1="${top - 5}" x2="${x(v)}" y2="${top + bars.length * rowH}" stroke="#ddd"/>`,
      `<text x="${x(v)}" y="${top + bars.length * rowH + 15}" text-anchor="middle">${fmt(v)}</text>`);
  }
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    out.push(`<text x="${left - 6}" y="${y + 15}" text-anchor="end">${esc(b.label)}${b.marked ? ' *' : ''}</text>`,
      `<rect x="${left}" y="${y + 4}" width="${x(b.value) - left}" height="${rowH - 8}" fill="${COLORS[i % COLORS.length]}"/>`);
    if (b.lower !== undefined && b.upper !== undefined) {
      const cy = y + rowH / 2;
      out.push(`<line x1="${x(b.lower)}" y1="${cy}" x2="${x(b.upper)}" y2="${cy}" stroke="#000"/>`,
        `<line x1="${x(b.lower)}" y1="${cy - 5}" x2="${x(b.lower)}" y2="${cy + 5}" stroke="#000"/>`,
        `<line x1="${x(b.upper)}" y1="${cy - 5}" x2="${x(b.upper)}" y2="${cy + 5}" stroke="#000"/>`);
    }
  });
  out.push(`<text x="${left + plotW / 2}" y="${height - 8}" text-anchor="middle">${esc(xLabel)}</text>`, '</svg>');
  return out.join('\n') + '\n';
}

export interface Series {
  label: string;
  points: readonly { x: number; y: number }[];
}

function frame(title: string, xs: number[], ys: number[], xLabel: string, yLabel: string) {
  const width = 640;
  const height = 400;
  const m = { l: 60, r: 170, t: 35, b: 45 };
  const finite = (v: number[]) => v.filter((z) => Number.isFinite(z));
  const fx = finite(xs);
  const fy = finite(ys);
  let [x0, x1] = [Math.min(...fx), Math.max(...fx)];
  let [y0, y1] = [Math.min(...fy), Math.max(...fy)];
  if (!(x1 > x0)) { x0 -= 1; x1 += 1; }
  if (!(y1 > y0)) { y0 -= 1; y1 += 1; }
  const X = (v: number) => m.l + ((v - x0) / (x1 - x0)) * (width - m.l - m.r);
  const Y = (v: number) => height - m.b - ((v - y0) / (y1 - y0)) * (height - m.t - m.b);
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<text x="${(width - m.r + m.l) / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`,
    `<rect x="${m.l}" y="${m.t}" width="${width - m.l - m.r}" height="${height - m.t - m.b}" fill="none" stroke="#999"/>`];
  for (let t = 0; t <= 4; t++) {
    const xv = x0 + ((x1 - x0) * t) / 4;
    const yv = y0 + ((y1 - y0) * t) / 4;
    out.push(`<text x="${X(xv)}" y="${height - m.b + 15}" text-anchor="middle">${fmt(xv)}</text>`,
      `<text x="${m.l - 5}" y="${Y(yv) + 4}" text-anchor="end">${fmt(yv)}</text>`);
  }
  out.push(`<text x="${(width - m.r + m.l) / 2}" y="${height - 8}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text x="14" y="${(height - m.b + m.t) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(height - m.b + m.t) / 2})">${esc(yLabel)}</text>`);
  return { out, X, Y, legendX: width - m.r + 10, m };
}

/** Line chart, one polyline per series (e.g. training loss per method). */
export function lineChartSvg(title: string, series: readonly Series[], xLabel: string, yLabel: string): string {
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) throw new RangeError('lineChartSvg: no points');
  const { out, X, Y, legendX, m } = frame(title, all.map((p) => p.x), all.map((p) => p.y), xLabel, yLabel);
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
    const c = COLORS[i % COLORS.length];
    if (pts.length > 0) out.push(`<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${pts.map((p) => `${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`).join(' ')}"/>`);
    out.push(`<rect x="${legendX}" y="${m.t + i * 18}" width="12" height="12" fill="${c}"/>`, `<text x="${legendX + 16}" y="${m.t + i * 18 + 10}">${esc(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Scatter plot; points may carry a label (drawn next to the point). */
export function scatterSvg(title: string, points: readonly { x: number; y: number; label?: string }[], xLabel: string, yLabel: string): string {
  if (points.length === 0) throw new RangeError('scatterSvg: no points');
  points.forEach((p, i) => {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) throw new RangeError(`scatterSvg: point ${i} is not finite (${p.x}, ${p.y})`);
  });
  const { out, X, Y } = frame(title, points.map((p) => p.x), points.map((p) => p.y), xLabel, yLabel);
  for (const p of points) {
    out.push(`<circle cx="${X(p.x).toFixed(1)}" cy="${Y(p.y).toFixed(1)}" r="4" fill="${COLORS[0]}"/>`);
    if (p.label) out.push(`<text x="${(X(p.x) + 6).toFixed(1)}" y="${(Y(p.y) - 4).toFixed(1)}" font-size="10">${esc(p.label)}</text>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

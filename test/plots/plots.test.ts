import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { groupedIntervalBarSpec, intervalBarSpec, lineSpec, PALETTE, scatterSpec, shareBarSpec } from '../../src/plots/specs.js';
import { renderSvg, writePlot } from '../../src/plots/render.js';

const bars = [
  { label: 'bm25', value: 0.2, lower: 0.1, upper: 0.3 },
  { label: 'A & B <x>', value: 0.6, lower: 0.5, upper: 0.7, marked: true },
];

describe('plots: Vega-Lite specs rendered offline', () => {
  it('interval bars: one bar and one whisker per row, in the given order, marks and escaping', async () => {
    const svg = await renderSvg(intervalBarSpec({ title: 'CLIR AP', bars, xLabel: 'AP' }));
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/aria-roledescription="bar"/g)).toHaveLength(2);
    // One whisker (errorbar) per row.
    expect(svg.match(/aria-roledescription="errorbar"/g)).toHaveLength(2);
    expect(svg).toContain('A &amp; B &lt;x&gt; *');
    // The caller's order is kept (not alphabetical): 'bm25' is drawn above 'A & B'.
    expect(svg).toMatch(/Y-axis for a discrete scale with 2 values: bm25, A &amp; B &lt;x&gt; \*/);
    expect(svg).toContain(`fill="${PALETTE[0]}"`);
    expect(svg).not.toMatch(/AP, lower/);
  });

  it('is deterministic and writes the spec next to the SVG', async () => {
    const spec = lineSpec({ title: 'loss', series: [{ label: 'a', points: [{ x: 1, y: 2 }, { x: 2, y: 1 }] }, { label: 'b', points: [{ x: 1, y: NaN }, { x: 2, y: 3 }] }], xLabel: 'step', yLabel: 'loss' });
    expect((spec.data as { values: unknown[] }).values).toHaveLength(3);
    const dir = mkdtempSync(join(tmpdir(), 'optical-plot-'));
    const out = await writePlot(dir, 'curve', spec, 'plots');
    expect(out.svg).toBe('plots/curve.svg');
    expect(readFileSync(join(dir, 'curve.svg'), 'utf8')).toBe(await renderSvg(spec));
    expect(JSON.parse(readFileSync(join(dir, 'curve.vl.json'), 'utf8'))).toEqual(spec);
    expect(spec.$schema).toMatch(/vega-lite\/v6/);
  });

  it('grouped bars, scatter and shares render', async () => {
    const grouped = await renderSvg(groupedIntervalBarSpec({ title: 'runs', groups: ['AP', 'RR'], series: [{ name: 'a', values: [{ value: 0.2 }, { value: 0.3, lower: 0.2, upper: 0.4 }] }, { name: 'b', values: [{ value: 0.4 }, { value: 0.5 }] }] }));
    expect(grouped.match(/aria-roledescription="bar"/g)).toHaveLength(4);
    expect(await renderSvg(scatterSpec({ title: 's', points: [{ x: 0.1, y: 0.2, label: 'p=0.1' }], xLabel: 'x', yLabel: 'y' }))).toContain('p=0.1');
    const shares = await renderSvg(shareBarSpec({ title: 'bias', rows: [{ row: 'm', shares: { en: 0.7, sw: 0.3 } }], categoryTitle: 'language' }));
    expect(shares).toContain('language');
  });

  it('refuses values that cannot be drawn, naming them', () => {
    expect(() => intervalBarSpec({ title: 't', bars: [{ label: 'a', value: NaN }], xLabel: 'AP' })).toThrow(/bars\[0\] \(a\) value must be finite, got NaN/);
    expect(() => scatterSpec({ title: 't', points: [{ x: 1, y: Infinity }], xLabel: 'x', yLabel: 'y' })).toThrow(/point 0 is not finite/);
    expect(() => lineSpec({ title: 't', series: [{ label: 's', points: [] }], xLabel: 'x', yLabel: 'y' })).toThrow(/no points/);
    expect(() => groupedIntervalBarSpec({ title: 't', groups: ['a'], series: [{ name: 's', values: [] }] })).toThrow(/has 0 values for 1 groups/);
    expect(() => groupedIntervalBarSpec({ title: 't', groups: ['a'], series: [{ name: 's', values: [{ value: -1 }] }] })).toThrow(/negative values/);
  });
});

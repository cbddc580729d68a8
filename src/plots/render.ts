/**
 * Renders the Vega-Lite specs of ./specs.ts to static SVG offline (vega-lite compiles, vega lays
 * out; no browser, no canvas, no network), and writes a chart as `<name>.svg` plus the spec as
 * `<name>.vl.json` next to it. The output is deterministic for the same spec.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { VegaLiteSpec } from './specs.js';

/** Static SVG of a Vega-Lite spec. */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  // vega-lite normalises the spec it compiles in place: compile a copy so the caller's spec stays as written.
  const view = new vega.View(vega.parse(compile(structuredClone(spec) as never).spec), { renderer: 'none' });
  try {
    return `${await view.toSVG()}\n`;
  } finally {
    view.finalize();
  }
}

/**
 * Writes `<dir>/<name>.svg` and `<dir>/<name>.vl.json`; returns the two paths relative to `dir`'s
 * parent as `<base>/<name>.svg` etc. when `base` is given (for manifests), else the file names.
 */
export async function writePlot(dir: string, name: string, spec: VegaLiteSpec, base?: string): Promise<{ svg: string; spec: string; svgText: string }> {
  const svgText = await renderSvg(spec);
  writeFileSync(join(dir, `${name}.svg`), svgText);
  writeFileSync(join(dir, `${name}.vl.json`), JSON.stringify(spec, null, 2) + '\n');
  const rel = (f: string) => (base ? `${base}/${f}` : f);
  return { svg: rel(`${name}.svg`), spec: rel(`${name}.vl.json`), svgText };
}

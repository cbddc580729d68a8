/** Charts: Vega-Lite specs (reusable in notebooks) and their offline SVG rendering. */
export * from './specs.js';
export * from './render.js';

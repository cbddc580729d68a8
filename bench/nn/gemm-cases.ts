/**
 * The GEMM benchmark's products: the matrix multiplies of one BERT training step (forward, and the
 * backward's two products per linear layer) at the geometries of `npm run bench:train` — base (768
 * hidden, 12 heads, 3072 FFN) at 8 × 128 tokens, small (128, 2 heads, 512) at 32 × 128 and tiny
 * (64, 2 heads, 256) at 16 × 64. Row-major, as the engine calls them: a linear layer Y = X·Wᵀ with
 * X tokens × in and W out × in; its backward dX = dY·W and dW = dYᵀ·X; attention per (sequence,
 * head): S = Q·Kᵀ, O = P·V and their backward dP = dO·Vᵀ, dV = Pᵀ·dO, dQ = dS·K, dK = dSᵀ·Q.
 */
export interface GemmCase {
  /** e.g. "base ffn-up fwd". */
  id: string;
  geometry: 'base' | 'small' | 'tiny';
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  /** Independent products of this shape (attention: sequences × heads). */
  batch: number;
}

interface Geometry {
  name: GemmCase['geometry'];
  hidden: number;
  heads: number;
  ffn: number;
  sequences: number;
  tokens: number;
}

export const GEOMETRIES: Geometry[] = [
  { name: 'base', hidden: 768, heads: 12, ffn: 3072, sequences: 8, tokens: 128 },
  { name: 'small', hidden: 128, heads: 2, ffn: 512, sequences: 32, tokens: 128 },
  { name: 'tiny', hidden: 64, heads: 2, ffn: 256, sequences: 16, tokens: 64 },
];

function linear(g: Geometry, name: string, inF: number, outF: number): GemmCase[] {
  const t = g.sequences * g.tokens;
  const c = (pass: string, m: number, n: number, k: number, transA: boolean, transB: boolean): GemmCase => ({
    id: `${g.name} ${name} ${pass}`, geometry: g.name, m, n, k, transA, transB, batch: 1,
  });
  return [
    c('fwd', t, outF, inF, false, true), // Y = X·Wᵀ
    c('dX', t, inF, outF, false, false), // dX = dY·W
    c('dW', outF, inF, t, true, false), // dW = dYᵀ·X
  ];
}

function attention(g: Geometry): GemmCase[] {
  const s = g.tokens;
  const d = g.hidden / g.heads;
  const b = g.sequences * g.heads;
  const c = (pass: string, m: number, n: number, k: number, transA: boolean, transB: boolean): GemmCase => ({
    id: `${g.name} attn ${pass}`, geometry: g.name, m, n, k, transA, transB, batch: b,
  });
  // Six products, three shapes: each case stands for the two that share it.
  return [
    c('QKᵀ|dO·Vᵀ', s, s, d, false, true),
    c('PV|dS·K', s, d, s, false, false),
    c('Pᵀ·dO|dSᵀ·Q', s, d, s, true, false),
  ];
}

/** Every case of one geometry: the attention projection (q/k/v/out share a shape), FFN up and down, attention. */
export function geometryCases(g: Geometry): GemmCase[] {
  return [...linear(g, 'proj', g.hidden, g.hidden), ...linear(g, 'ffn-up', g.hidden, g.ffn), ...linear(g, 'ffn-down', g.ffn, g.hidden), ...attention(g)];
}

export function allCases(): GemmCase[] {
  return GEOMETRIES.flatMap(geometryCases);
}

export function flops(c: GemmCase): number {
  return 2 * c.m * c.n * c.k * c.batch;
}

export function describeShape(c: GemmCase): string {
  return `${c.batch > 1 ? `${c.batch}×` : ''}${c.m}×${c.n}×${c.k} ${c.transA ? 'T' : 'N'}${c.transB ? 'T' : 'N'}`;
}

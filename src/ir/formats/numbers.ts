/**
 * Number fields of text files, parsed strictly and range-checked so a value can never be silently
 * changed on the way in: `2147483648` as a relevance grade would wrap around in the Int32 arrays the
 * metrics use, `1e400` becomes Infinity, `0x10` is 16 to Number() but 0 to trec_eval's atof.
 * Errors are IrFormatErrors (`file:line: …`).
 */
import { IrFormatError } from './format-error.js';

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

/** A decimal integer in [min, max] (default: the 32-bit range). */
export function parseIntegerField(text: string, what: string, source: string, lineNumber: number, min = INT32_MIN, max = INT32_MAX): number {
  if (!INTEGER.test(text)) throw new IrFormatError(source, lineNumber, `${what} '${text}' is not an integer`);
  const value = Number(text);
  if (!(value >= min && value <= max)) throw new IrFormatError(source, lineNumber, `${what} '${text}' is out of range (${min}..${max})`);
  return value;
}

/** A finite decimal number (optionally ≥ min), e.g. `1.5`, `-2e-3`, `.5`; not hex, not Infinity/NaN. */
export function parseNumberField(text: string, what: string, source: string, lineNumber: number, min = -Infinity): number {
  const value = DECIMAL.test(text) ? Number(text) : NaN;
  if (Number.isFinite(value) && value >= min) return value;
  const wanted = min === -Infinity ? 'is not a finite number' : `must be a finite number ≥ ${min}`;
  throw new IrFormatError(source, lineNumber, `${what} '${text}' ${wanted}${DECIMAL.test(text) && !Number.isFinite(value) ? ' (outside the double range)' : ''}`);
}

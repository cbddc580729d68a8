/** Shared argument checks for the statistics: finite numbers, equal lengths, minimum sizes. */

export function checkFiniteArray(name: string, values: ArrayLike<number>, minLength = 1): void {
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
    throw new TypeError(`${name} must be an array of numbers`);
  }
  if (values.length < minLength) throw new RangeError(`${name} needs at least ${minLength} values, got ${values.length}`);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${name}[${i}] must be a finite number, got ${String(v)}`);
  }
}

export function checkPaired(nameA: string, a: ArrayLike<number>, nameB: string, b: ArrayLike<number>, minLength = 1): void {
  checkFiniteArray(nameA, a, minLength);
  checkFiniteArray(nameB, b, minLength);
  if (a.length !== b.length) throw new RangeError(`${nameA} and ${nameB} must be paired (same length), got ${a.length} and ${b.length}`);
}

export function checkProbability(name: string, p: number, open = true): void {
  const ok = open ? p > 0 && p < 1 : p >= 0 && p <= 1;
  if (typeof p !== 'number' || !ok) throw new RangeError(`${name} must be in ${open ? '(0, 1)' : '[0, 1]'}, got ${p}`);
}

export function checkPositiveInteger(name: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${n}`);
}

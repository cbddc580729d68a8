/**
 * The one way optical declares a configuration: a zod schema from which the TypeScript type, the
 * checks, the error paths and the JSON Schema for editors all come. The field builders below attach
 * the messages users saw before the schemas existed (`methods[3].p must be in [0, 1], got 1.5`), and
 * `parseConfig` turns zod's issues into one TypeError/RangeError that names the file and the field.
 *
 * A config kind (compare, teacher, distill, …) is a `ConfigKind`: its schema plus how paths are
 * printed. `optical config schema --kind K` exports any registered kind (src/cli/commands/config.ts).
 */
import * as z from 'zod';

export { z };

/** Keys every config file may carry for people and editors; dropped from the parsed config. */
export const EDITOR_KEYS = {
  $schema: z.string().optional().describe('JSON Schema of this file (for editors; ignored by optical)'),
  $comment: z.string().optional().describe('free text (ignored by optical)'),
};

export interface ConfigKind<S extends z.ZodType> {
  /** Name used by `optical config schema --kind`. */
  kind: string;
  /** One line for the JSON Schema title and the CLI listing. */
  title: string;
  schema: S;
  /** How an issue path is printed: `pathPrefix` + `a.b[2].c` (e.g. 'config.'); the root is called `rootName`. */
  pathPrefix: string;
  rootName: string;
}

/** Number field: finite, optionally an integer, in [min, max] (either bound may be open). */
export function num(o: { min?: number; max?: number; int?: boolean; gt?: number; lt?: number; what?: string } = {}): z.ZodNumber {
  const range = o.what ?? describeRange(o);
  const message = (iss: { input?: unknown }) => `must be ${range}, got ${show(iss.input)}`;
  let s = o.int
    ? z.number({ error: (iss) => (typeof iss.input === 'number' && Number.isFinite(iss.input) ? `must be an integer, got ${iss.input}` : `must be a finite number, got ${show(iss.input)}`) }).int()
    : z.number({ error: (iss) => `must be a finite number, got ${show(iss.input)}` });
  if (o.min !== undefined) s = s.min(o.min, { error: message });
  if (o.gt !== undefined) s = s.gt(o.gt, { error: message });
  if (o.max !== undefined) s = s.max(o.max, { error: message });
  if (o.lt !== undefined) s = s.lt(o.lt, { error: message });
  return s;
}

function describeRange(o: { min?: number; max?: number; int?: boolean; gt?: number; lt?: number }): string {
  const lo = o.min ?? o.gt;
  const hi = o.max ?? o.lt;
  const kind = o.int ? 'an integer' : 'a number';
  if (lo !== undefined && hi !== undefined) return `in ${o.gt !== undefined ? '(' : '['}${lo}, ${hi}${o.lt !== undefined ? ')' : ']'}`;
  if (lo !== undefined) return `${kind} ${o.gt !== undefined ? '>' : '≥'} ${lo}`;
  if (hi !== undefined) return `${kind} ${o.lt !== undefined ? '<' : '≤'} ${hi}`;
  return kind;
}

/** Non-empty string. */
export function str(): z.ZodString {
  return z.string({ error: (iss) => `must be a non-empty string, got ${show(iss.input)}` }).refine((s) => s.trim() !== '', { error: (iss) => `must be a non-empty string, got ${show(iss.input)}` }) as unknown as z.ZodString;
}

/** One of a fixed list of strings. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T): z.ZodEnum<{ [K in T[number]]: K }> {
  return z.enum(values, { error: (iss) => `must be one of ${values.join(', ')}, got ${show(iss.input)}` });
}

/** Non-empty list without repeated items. */
export function uniqueList<T extends z.ZodType>(item: T, noun = 'item'): z.ZodArray<T> {
  return z.array(item, { error: (iss) => `must be a non-empty array, got ${show(iss.input)}` })
    .min(1, { error: () => 'must be a non-empty array' })
    .superRefine((list, ctx) => {
      const seen = new Set<string>();
      for (const x of list) {
        const key = JSON.stringify(x);
        if (seen.has(key)) { ctx.addIssue({ code: 'custom', message: `: a ${noun} is listed twice (${typeof x === 'string' ? `'${x}'` : key})` }); return; }
        seen.add(key);
      }
    }) as unknown as z.ZodArray<T>;
}

/** An object that rejects unknown fields, listing the known ones. */
export function obj<S extends z.ZodRawShape>(shape: S): z.ZodObject<S, z.core.$strict> {
  const allowed = Object.keys(shape).filter((k) => !k.startsWith('$'));
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code === 'unrecognized_keys') return `: unknown field '${iss.keys[0]}' (allowed: ${allowed.join(', ')})`;
      if (iss.code === 'invalid_type') return `must be an object, got ${show(iss.input)}`;
      return undefined;
    },
  });
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `'${v}'`;
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

/** `methods[3].p` from ['methods', 3, 'p']. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out;
}

function issueMessage(iss: z.core.$ZodIssue, kind: Pick<ConfigKind<z.ZodType>, 'pathPrefix' | 'rootName'>): string {
  const where = iss.path.length === 0 ? kind.rootName : `${kind.pathPrefix}${formatPath(iss.path)}`;
  let msg = iss.message;
  if (iss.code === 'invalid_union' && 'discriminator' in iss && iss.discriminator) {
    const input = (iss as { input?: unknown }).input;
    const value = input && typeof input === 'object' ? (input as Record<string, unknown>)[iss.discriminator as string] : undefined;
    const options = ((iss as { options?: unknown[] }).options ?? []).map(String);
    msg = value === undefined ? `is required (one of ${options.join(', ')})` : `must be one of ${options.join(', ')}, got ${show(value)}`;
  } else if (iss.code === 'invalid_type' && (iss as { input?: unknown }).input === undefined) {
    msg = 'is required';
  }
  // Messages that start with ':' attach to the path ("methods[0]: unknown field 'p'").
  return msg.startsWith(':') ? `${where}${msg}` : `${where} ${msg}`;
}

/**
 * Parses `raw` with a config kind's schema. Errors name `source` (a file name) and every problem's
 * path; a wrong type gives a TypeError, a wrong value a RangeError.
 */
export function parseConfig<S extends z.ZodType>(kind: ConfigKind<S>, raw: unknown, source?: string): z.output<S> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new TypeError(`${source ? `${source}: ` : ''}the ${kind.rootName} must be a JSON object`);
  }
  const r = kind.schema.safeParse(raw, { reportInput: true });
  if (r.success) return r.data;
  const issues = r.error.issues;
  const lines = issues.slice(0, 5).map((iss) => issueMessage(iss, kind));
  if (issues.length > 5) lines.push(`(${issues.length - 5} more)`);
  const text = lines.map((l) => (source ? `${source}: ${l}` : l)).join('\n');
  throw issues[0].code === 'invalid_type' ? new TypeError(text) : new RangeError(text);
}

/** JSON Schema (draft 2020-12) of what a user may write in a config file of this kind. */
export function configJsonSchema(kind: ConfigKind<z.ZodType>): Record<string, unknown> {
  const schema = z.toJSONSchema(kind.schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, title: kind.title };
}

/**
 * Rejects option keys a library function does not know (e.g. `{epsilon: 0.1}` instead of `eps`),
 * listing the known ones. `known` is written as `{...} satisfies Record<keyof Options, true>` so
 * the compiler keeps it complete when an option is added.
 */
export function checkOptionKeys(fn: string, options: object, known: Record<string, true>): void {
  for (const k of Object.keys(options)) {
    if (!Object.hasOwn(known, k)) throw new RangeError(`${fn}: unknown option '${k}' (known: ${Object.keys(known).join(', ')})`);
  }
}

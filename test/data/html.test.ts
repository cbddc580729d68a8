import { describe, expect, it } from 'vitest';
import { decodeEntities, findAll, parseHtml, textContent } from '../../src/data/html.js';

describe('HTML reader', () => {
  it('decodes named and numeric entities, leaves unknown ones', () => {
    expect(decodeEntities('a &amp; b &lt;c&gt; &#233; &#x2019; &bogus; &nbsp;')).toBe('a & b <c> é \u2019 &bogus; \u00a0');
  });
  it('builds nesting with void elements, implicit </p>, comments, scripts and quoted >', () => {
    const root = parseHtml('<!doctype html><div title="a>b"><p>one<br>two<p>three</div><!-- <p>hidden</p> --><script>if (a<b) x("</p>")</script><p>four &amp; five');
    const ps = findAll(root, (e) => e.tag === 'p');
    expect(ps.map((p) => textContent(p))).toEqual(['one two', 'three', 'four & five']);
    expect(findAll(root, (e) => e.tag === 'div')[0].attrs.title).toBe('a>b');
  });
  it('ignores stray end tags and keeps a lone < as text', () => {
    const root = parseHtml('<p>a</span> b < c</p>');
    expect(textContent(findAll(root, (e) => e.tag === 'p')[0])).toBe('a b < c');
  });
  it('skips subtrees on request', () => {
    const root = parseHtml('<p>x<span hidden="true">MAC</span><span hidden id="default1">Ctrl</span>y</p>');
    const p = findAll(root, (e) => e.tag === 'p')[0];
    expect(textContent(p, { skip: (e) => e.attrs.hidden !== undefined && !(e.attrs.id ?? '').startsWith('default') })).toBe('xCtrly');
  });
});

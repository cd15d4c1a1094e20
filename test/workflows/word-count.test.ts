import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunProblem } from '../../src/runtime';
import { shippedWorkflows } from '../../src/workflows';
import { MAX_DOCUMENTS, countWords } from '../../src/workflows/word-count';
import type { TestRuntime } from '../support/runtime';
import { createTestRuntime, outputOf, runToCompletion } from '../support/runtime';
import type { StoreFixture } from './stores';
import { EMBEDDED_STORES } from './stores';

describe.each(EMBEDDED_STORES)('word-count over the %s', (_name, makeStore) => {
  let fixture: StoreFixture;
  let t: TestRuntime;

  beforeEach(async () => {
    fixture = await makeStore();
    t = createTestRuntime({ store: fixture.store, workflows: shippedWorkflows() });
  });
  afterEach(() => fixture.cleanup());

  async function count(documents: unknown): Promise<Record<string, number>> {
    const last = await runToCompletion(t, 'word-count', { documents });
    expect(last.status).toBe('Completed');
    return outputOf(last) as Record<string, number>;
  }

  it('counts words lower-cased across documents, sorted by word', async () => {
    const counts = await count(['The cat sat.', 'THE CAT, the hat!', '']);
    expect(counts).toEqual({ cat: 2, hat: 1, sat: 1, the: 3 });
    expect(Object.keys(counts)).toEqual(['cat', 'hat', 'sat', 'the']);
  });

  it('maps every document in one superstep, joins at a barrier and reduces: done at step 3', async () => {
    const last = await runToCompletion(t, 'word-count', { documents: ['a b', 'b c'] }, 'three-steps');
    expect(await t.store.listIds('three-steps')).toEqual([0, 1, 2, 3]);
    const mapped = await t.store.load('three-steps', 1);
    expect(new Set(mapped.messages.map((m) => m.target)).size).toBe(MAX_DOCUMENTS);
    expect(outputOf(last)).toEqual({ a: 1, b: 2, c: 1 });
  });

  it('handles unicode letters, accents however typed, marks and apostrophes', async () => {
    const counts = await count([
      'Ünïcödé ÜNÏCÖDÉ straße',
      'İstanbul nämlich ΣΊΣΥΦΟΣ',
      'नमस्ते दुनिया नमस्ते',
      'café cafe\u0301 CAFÉ',
      "Don't don’t it's 'quoted' rock'n'roll 42 4.2",
      '日本語 😀 émoji',
    ]);
    expect(counts).toEqual({
      ünïcödé: 2,
      straße: 1,
      'i̇stanbul': 1,
      nämlich: 1,
      σίσυφος: 1, // final sigma
      नमस्ते: 2,
      दुनिया: 1,
      café: 3,
      "don't": 2,
      "it's": 1,
      quoted: 1,
      "rock'n'roll": 1,
      '42': 1,
      '4': 1,
      '2': 1,
      日本語: 1,
      émoji: 1,
    });
  });

  it('counts "__proto__" and "constructor" as plain words', async () => {
    const counts = await count(['__proto__ constructor __proto__', 'toString hasOwnProperty constructor']);
    expect(Object.getPrototypeOf(counts)).toBe(Object.prototype);
    expect(Object.keys(counts)).toEqual(['__proto__', 'constructor', 'hasownproperty', 'tostring']);
    expect(Object.getOwnPropertyDescriptor(counts, '__proto__')?.value).toBe(2);
    expect(counts.constructor).toBe(2);
  });

  it('one document', async () => {
    expect(await count(['only one'])).toEqual({ one: 1, only: 1 });
  });

  it('100 documents', async () => {
    const documents = Array.from({ length: 100 }, (_, i) => `common word${i}`);
    const counts = await count(documents);
    expect(counts.common).toBe(100);
    expect(Object.keys(counts)).toHaveLength(101);
    expect(counts.word0).toBe(1);
    expect(counts.word99).toBe(1);
  });

  it.each([
    [{ documents: [] }, 'input.documents must be an array of 1 to 100 strings'],
    [{ documents: Array(101).fill('x') }, 'input.documents must be an array of 1 to 100 strings'],
    [{ documents: 'a b c' }, 'input.documents must be an array of 1 to 100 strings'],
    [{}, 'input.documents must be an array of 1 to 100 strings'],
    [{ documents: ['ok', 42] }, 'input.documents[1] must be a string'],
    [{ documents: [null] }, 'input.documents[0] must be a string'],
    [{ documents: ['x'.repeat(1_000_001)] }, 'input.documents[0] is longer than 1000000 characters'],
    [['a'], 'input must be an object { documents: string[] }'],
    [null, 'input must be an object { documents: string[] }'],
    ['text', 'input must be an object { documents: string[] }'],
  ])('refuses %#: %s', async (input, message) => {
    const problem = await t.runtime.start({ workflow: 'word-count', input }).catch((error: unknown) => error);
    expect(problem).toBeInstanceOf(RunProblem);
    expect(problem).toMatchObject({ kind: 'invalid', code: 'InvalidInput', message });
  });
});

describe('countWords', () => {
  it('keeps connector punctuation inside a word and drops other punctuation', () => {
    expect([...countWords('snake_case, kebab-case; (parens) e-mail')]).toEqual([
      ['snake_case', 1],
      ['kebab', 1],
      ['case', 1],
      ['parens', 1],
      ['e', 1],
      ['mail', 1],
    ]);
  });
});

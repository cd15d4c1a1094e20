import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, WorkflowDefinitionError, workflow } from '../../src/engine';

const noop = () => {};

function twoStep(name = 'two-step', version = '1') {
  return workflow(name, { version }).executor('a', noop).executor('b', noop).start('a');
}

function definitionError(build: () => unknown): WorkflowDefinitionError {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(WorkflowDefinitionError);
    expect((error as WorkflowDefinitionError).code).toBe('InvalidWorkflow');
    return error as WorkflowDefinitionError;
  }
  throw new Error('expected a WorkflowDefinitionError');
}

describe('workflow builder', () => {
  it('builds an immutable workflow with its executors, edges, start and defaults', () => {
    const wf = twoStep().edge('a', 'b').build();
    expect(wf.name).toBe('two-step');
    expect(wf.version).toBe('1');
    expect(wf.start).toBe('a');
    expect([...wf.executors.keys()]).toEqual(['a', 'b']);
    expect(wf.edges).toEqual([{ id: 'e0', kind: 'direct', from: 'a', to: 'b' }]);
    expect(wf.maxSupersteps).toBe(10_000);
    expect(wf.executors.get('a')!.retry).toEqual(DEFAULT_RETRY_POLICY);
    expect(wf.graphHash).toMatch(/^[0-9a-f]{16}$/);
    expect(Object.isFrozen(wf)).toBe(true);
    expect(wf.parseInput({ any: 'thing' })).toEqual({ any: 'thing' });
  });

  it('merges a partial retry policy over the defaults', () => {
    const wf = workflow('w', { version: '1' })
      .executor('a', { handle: noop, retry: { maxAttempts: 5 } })
      .start('a')
      .build();
    expect(wf.executors.get('a')!.retry).toEqual({ ...DEFAULT_RETRY_POLICY, maxAttempts: 5 });
  });

  describe('refuses a mistake with an error that names it', () => {
    it.each([
      ['1st', /executor name '1st' must match/],
      ['has space', /executor name 'has space' must match/],
      ['', /executor name '' must match/],
      ['x'.repeat(65), /must match/],
    ])('executor name %j', (name, message) => {
      expect(definitionError(() => workflow('w', { version: '1' }).executor(name, noop)).message).toMatch(message);
    });

    it('an executor defined twice', () => {
      expect(definitionError(() => workflow('w', { version: '1' }).executor('a', noop).executor('a', noop)).message).toBe(
        "executor 'a' is defined twice",
      );
    });

    it('an executor without a handle function', () => {
      expect(definitionError(() => workflow('w', { version: '1' }).executor('a', {} as never)).message).toBe("executor 'a' needs a handle function");
    });

    it.each([
      [{ maxAttempts: 0 }, /retry.maxAttempts must be a whole number ≥ 1/],
      [{ maxAttempts: 1.5 }, /retry.maxAttempts/],
      [{ initialDelayMs: -1 }, /retry.initialDelayMs must be ≥ 0/],
      [{ initialDelayMs: Number.NaN }, /retry.initialDelayMs/],
      [{ backoffFactor: 0.5 }, /retry.backoffFactor must be ≥ 1/],
      [{ initialDelayMs: 5_000, maxDelayMs: 1_000 }, /retry.maxDelayMs must be ≥ initialDelayMs/],
    ])('retry policy %j', (retry, message) => {
      const error = definitionError(() => workflow('w', { version: '1' }).executor('a', { handle: noop, retry }));
      expect(error.message).toMatch(/^executor 'a': /);
      expect(error.message).toMatch(message);
    });

    it.each(['Upper', 'has space', '', '-lead', 'x'.repeat(64)])('workflow name %j', (name) => {
      expect(definitionError(() => twoStep(name).build()).message).toMatch(/workflow name .* must be 1-63 characters of a-z 0-9 -/);
    });

    it('a missing version', () => {
      expect(definitionError(() => twoStep('w', '').build()).message).toBe("workflow 'w' needs a version");
    });

    it('no start executor', () => {
      expect(definitionError(() => workflow('w', { version: '1' }).executor('a', noop).build()).message).toBe("workflow 'w' has no start executor");
    });

    it('a start executor that is not defined', () => {
      expect(definitionError(() => workflow('w', { version: '1' }).executor('a', noop).start('nope').build()).message).toBe(
        "workflow 'w': start 'nope' is not a defined executor",
      );
    });

    it('an edge from or to an executor that is not defined', () => {
      expect(definitionError(() => twoStep('w').edge('a', 'ghost').build()).message).toBe("workflow 'w': edge e0 target 'ghost' is not a defined executor");
      expect(definitionError(() => twoStep('w').edge('ghost', 'a').build()).message).toBe("workflow 'w': edge e0 source 'ghost' is not a defined executor");
      expect(definitionError(() => twoStep('w').fanOut('a', ['b', 'ghost']).build()).message).toMatch(/target 'ghost'/);
      expect(definitionError(() => twoStep('w').switch('a', [{ when: () => true, to: 'b' }], { otherwise: 'ghost' }).build()).message).toMatch(
        /target 'ghost'/,
      );
      expect(definitionError(() => twoStep('w').fanIn(['a', 'ghost'], 'b').build()).message).toMatch(/source 'ghost'/);
    });

    it('a fan-in without sources or with a source twice', () => {
      expect(definitionError(() => twoStep().fanIn([], 'b').build()).message).toBe('fan-in edge e0 needs distinct sources');
      expect(definitionError(() => twoStep().fanIn(['a', 'a'], 'b').build()).message).toBe('fan-in edge e0 needs distinct sources');
    });

    it('a fan-out without targets, a switch without cases', () => {
      expect(definitionError(() => twoStep().fanOut('a', []).build()).message).toBe('fan-out edge e0 needs targets');
      expect(definitionError(() => twoStep().switch('a', []).build()).message).toBe('switch edge e0 needs cases');
    });

    it.each([0, -1, 2.5, Number.NaN])('maxSupersteps %j', (maxSupersteps) => {
      expect(definitionError(() => workflow('w', { version: '1', maxSupersteps }).executor('a', noop).start('a').build()).message).toBe(
        'maxSupersteps must be a whole number ≥ 1',
      );
    });
  });

  describe('graph hash', () => {
    it('is the same for the same shape, whatever the handlers and predicates do', () => {
      const one = twoStep().edge('a', 'b', { when: () => true }).build();
      const other = workflow('two-step', { version: '2' })
        .executor('a', () => void 0)
        .executor('b', () => void 0)
        .start('a')
        .edge('a', 'b', { when: (m) => m === 1 })
        .build();
      expect(other.graphHash).toBe(one.graphHash);
    });

    it('changes when the shape changes', () => {
      const base = twoStep().edge('a', 'b').build().graphHash;
      expect(twoStep().edge('a', 'b', { when: () => true }).build().graphHash).not.toBe(base);
      expect(twoStep().edge('b', 'a').build().graphHash).not.toBe(base);
      expect(twoStep().edge('a', 'b').edge('b', 'a').build().graphHash).not.toBe(base);
      expect(twoStep('other-name').edge('a', 'b').build().graphHash).not.toBe(base);
      expect(
        workflow('two-step', { version: '1' }).executor('a', { handle: noop, onResponse: noop }).executor('b', noop).start('a').edge('a', 'b').build()
          .graphHash,
      ).not.toBe(base);
    });
  });
});

import { describe, expect, it } from 'vitest';
import { workflow } from '../../src/engine';
import { WorkflowRegistry, shippedWorkflows } from '../../src/workflows';

describe('workflow registry', () => {
  it('serves the shipped workflows by name', () => {
    const registry = shippedWorkflows();
    expect(registry.list().map((w) => [w.name, w.version])).toEqual([
      ['factor-pairs', '1'],
      ['approval', '1'],
      ['word-count', '1'],
    ]);
    expect(registry.get('approval')?.start).toBe('ask');
    expect(registry.get('nope')).toBeUndefined();
  });

  it('refuses a second workflow with a name already registered', () => {
    const make = () => workflow('twice', { version: '1' }).executor('a', () => {}).start('a').build();
    expect(() => new WorkflowRegistry([make(), make()])).toThrow("workflow 'twice' is registered twice");
  });
});

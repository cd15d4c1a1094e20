import { createApprovalWorkflow } from './approval';
import { factorPairs } from './factor-pairs';
import { WorkflowRegistry } from './registry';
import { wordCount } from './word-count';

export { WorkflowRegistry } from './registry';

export interface ShippedWorkflowOptions {
  approvalTimeoutSeconds?: number;
}

/** The workflows this app ships. Add yours here. */
export function shippedWorkflows(options: ShippedWorkflowOptions = {}): WorkflowRegistry {
  return new WorkflowRegistry([
    factorPairs,
    createApprovalWorkflow(options.approvalTimeoutSeconds === undefined ? {} : { timeoutSeconds: options.approvalTimeoutSeconds }),
    wordCount,
  ]);
}

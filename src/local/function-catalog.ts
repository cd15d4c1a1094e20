import type { RegisteredFunction } from './core-api';
import type { RpcBindingInfo } from './core-types';

export type TriggerKind = 'http' | 'queue' | 'timer' | 'unsupported';

export interface CatalogEntry {
  fn: RegisteredFunction;
  name: string;
  kind: TriggerKind;
  triggerType: string;
  bindingName: string;
  trigger: RpcBindingInfo;
  disabled: boolean;
}

/** Sorts the registered functions by trigger and finds those disabled by `AzureWebJobs.<name>.Disabled`. */
export function catalogFunctions(functions: Iterable<RegisteredFunction>, env: NodeJS.ProcessEnv): CatalogEntry[] {
  const entries: CatalogEntry[] = [];
  for (const fn of functions) {
    const found = Object.entries(fn.metadata.bindings).find(([, binding]) => /trigger$/i.test(String(binding.type)));
    if (!found) throw new Error(`Function '${fn.metadata.name}' has no trigger binding`);
    const [bindingName, trigger] = found;
    const triggerType = String(trigger.type);
    const lower = triggerType.toLowerCase();
    const kind: TriggerKind =
      lower === 'httptrigger' ? 'http' : lower === 'queuetrigger' ? 'queue' : lower === 'timertrigger' ? 'timer' : 'unsupported';
    const disabledSetting = env[`AzureWebJobs.${fn.metadata.name}.Disabled`];
    entries.push({
      fn,
      name: fn.metadata.name,
      kind,
      triggerType,
      bindingName,
      trigger,
      disabled: disabledSetting !== undefined && /^(true|1)$/i.test(disabledSetting.trim()),
    });
  }
  return entries.sort((a, b) => a.name.localeCompare(b.name));
}

/** Output and input bindings other than `http` and `queue` outputs, which the local host does not provide. */
export function unsupportedBindings(entry: CatalogEntry): string[] {
  return Object.entries(entry.fn.metadata.bindings)
    .filter(([name]) => name !== entry.bindingName)
    .filter(([, binding]) => {
      const type = String(binding.type).toLowerCase();
      return !(binding.direction === 'out' && (type === 'http' || type === 'queue'));
    })
    .map(([name, binding]) => `${name} (${String(binding.type)}, ${String(binding.direction)})`);
}

export { PolicySchema, type Policy, type ManagedInstance } from './schema';
export { loadPolicy, defaultPolicyPath, type PolicyState } from './load';
export { PolicyGuard, instanceKey, type Effective } from './guard';

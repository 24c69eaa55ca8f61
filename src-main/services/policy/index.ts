export { PolicySchema, type Policy, type ManagedInstance } from './schema';
export {
  loadPolicy,
  defaultPolicyPath,
  machinePolicyPath,
  resolvePolicyPath,
  POLICY_OVERRIDE_VAR,
  DEVELOPMENT_FLAG_VAR,
  type PolicyState,
} from './load';
export { PolicyGuard, instanceKey, type Effective } from './guard';

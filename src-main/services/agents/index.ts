/**
 * Agents: the catalog of coding agents the app can run (how each CLI gets into the sandbox image,
 * the model API it calls, the key that API needs) and the choice of one for a run. Other modules
 * import from here; `install-steps.ts` (the pinned install lines) is this service's own detail.
 */
export { AGENT_ADAPTERS, CODEX_TMPDIR_PREFIX, modelHostOf, resolveAgent } from './catalog';
export type { AgentAdapter, ResolvedAgent } from './catalog';

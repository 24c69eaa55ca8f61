import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CospecError } from '../../../src-shared/ipc/errors';
import { AGENT_ADAPTERS } from '../agents/catalog';
import type { ContainerEngine } from './engine';

/**
 * The sandbox image: a base (git, a shell, socat, non-root "agent" user) plus, when an agent needs
 * it, a layer with that agent's install steps. The base comes from scripts/setup/sandbox-image.sh
 * (offline, debootstrap + import) or is built from resources/sandbox/Containerfile where a registry
 * is reachable. Layers are tagged by a hash of their definition, so they are built once and rebuilt
 * only when the base or the install steps change.
 */

export const BASE_IMAGE = 'cospec-sandbox-base';
const LAYER_REPO = 'cospec-sandbox-agent';
const DEFINITION_LABEL = 'cospec.definition';

export type Progress = (detail: string, percent?: number) => void;

/** Install steps of the named adapters (catalog order, duplicates dropped); unknown names are refused. */
export function installStepsFor(agentNames: readonly string[]): string[] {
  const steps: string[] = [];
  for (const name of agentNames) {
    const adapter = AGENT_ADAPTERS.find((a) => a.name === name);
    if (!adapter) throw new CospecError('INVALID_INPUT', `Unknown agent "${name}".`);
    for (const step of adapter.install) if (!steps.includes(step)) steps.push(step);
  }
  return steps;
}

/** The Containerfile of an agent layer on top of `base`. */
export function agentLayerContainerfile(base: string, steps: readonly string[]): string {
  return [
    `FROM ${base}`,
    'USER root',
    'RUN apt-get update',
    ...steps.map((s) => `RUN ${s}`),
    'RUN rm -rf /var/lib/apt/lists/*',
    'USER agent',
    'WORKDIR /workspace',
    '',
  ].join('\n');
}

async function ensureBase(engine: ContainerEngine, baseImage: string, resourcesDir: string, onProgress: Progress, signal: AbortSignal): Promise<string> {
  const existing = await engine.inspectImage(baseImage);
  if (existing) return existing.id;
  onProgress(`Building the sandbox image ${baseImage} (first use)`);
  const containerfile = await readFile(join(resourcesDir, 'sandbox/Containerfile'), 'utf8');
  try {
    await engine.buildImage({ tag: baseImage, containerfile, labels: {}, onProgress: (line) => onProgress(line), signal });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new CospecError(
      'IMAGE_BUILD_FAILED',
      `The sandbox image ${baseImage} is missing and could not be built (no registry reachable?). Build it offline with \`npm run setup:system\` (scripts/setup/sandbox-image.sh) and try again.`,
      error instanceof Error ? error.message : String(error),
    );
  }
  const built = await engine.inspectImage(baseImage);
  if (!built) throw new CospecError('IMAGE_BUILD_FAILED', `Building ${baseImage} reported success but the image is not there.`);
  return built.id;
}

/** The image a run uses: the base, or base + the install steps of `agentNames`, built when missing. */
export async function ensureSandboxImage(opts: {
  engine: ContainerEngine;
  baseImage: string;
  resourcesDir: string;
  agentNames: readonly string[];
  onProgress: Progress;
  signal: AbortSignal;
}): Promise<string> {
  const { engine, onProgress, signal } = opts;
  onProgress('Checking the sandbox image', 0);
  const baseId = await ensureBase(engine, opts.baseImage, opts.resourcesDir, onProgress, signal);
  const steps = installStepsFor(opts.agentNames);
  if (!steps.length) {
    onProgress('Sandbox image ready', 100);
    return opts.baseImage;
  }
  const containerfile = agentLayerContainerfile(opts.baseImage, steps);
  const key = createHash('sha256').update(baseId).update('\0').update(containerfile).digest('hex').slice(0, 16);
  const tag = `${LAYER_REPO}:${key}`;
  const layer = await engine.inspectImage(tag);
  if (layer?.labels[DEFINITION_LABEL] === key) {
    onProgress('Sandbox image ready', 100);
    return tag;
  }
  onProgress(`Installing ${opts.agentNames.join(', ')} into the sandbox image`, 5);
  let lines = 0;
  await engine.buildImage({
    tag,
    containerfile,
    labels: { [DEFINITION_LABEL]: key },
    // The build has no total; report lines, and a percentage that creeps towards 95.
    onProgress: (line) => onProgress(line, Math.min(95, 5 + ++lines / 4)),
    signal,
  });
  onProgress('Sandbox image ready', 100);
  return tag;
}

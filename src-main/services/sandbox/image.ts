import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { CospecError } from '../../../src-shared/ipc/errors';
import { AGENT_ADAPTERS } from '../agents';
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

/**
 * The Containerfile of an agent layer on top of `base`. `extraCaPems` are certificate authorities
 * the build must trust beyond the public ones (a TLS-inspecting corporate proxy between this machine
 * and the registries): without them every https download in the steps fails certificate checks.
 * They go into the image's system store, which Node and pip are pointed at (both ignore it by default).
 */
export function agentLayerContainerfile(
  base: string,
  steps: readonly string[],
  extraCaPems: readonly string[] = [],
): string {
  const usesApt = steps.some((s) => s.includes('apt-get'));
  return [
    `FROM ${base}`,
    'USER root',
    ...trustLines(extraCaPems),
    ...(usesApt ? ['RUN apt-get update'] : []),
    ...steps.map((s) => `RUN ${withHeartbeat(s)}`),
    ...(usesApt ? ['RUN rm -rf /var/lib/apt/lists/*'] : []),
    'USER agent',
    'WORKDIR /workspace',
    '',
  ].join('\n');
}

/**
 * A step that prints a progress line every 5 s while it runs: downloads print nothing for long
 * stretches, and the user (and the build's response stream) should see the build is alive.
 */
function withHeartbeat(step: string): string {
  return `(t=0; while sleep 5; do t=$((t+5)); echo "... still working (\${t} s)"; done) & hb=$!; (${step}); rc=$?; kill $hb 2>/dev/null; exit $rc`;
}

function trustLines(pems: readonly string[]): string[] {
  if (!pems.length) return [];
  const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
  // The Containerfile is the whole build context, so each certificate travels inside it, base64 on one
  // line. Kept where update-ca-certificates finds them and appended to the bundle at once (a full
  // update-ca-certificates rehashes every root: 25 s here, for nothing curl, git, Node or pip read).
  const writes = pems.map((pem) => {
    const name = createHash('sha256').update(pem).digest('hex').slice(0, 16);
    const file = `/usr/local/share/ca-certificates/cospec-host-${name}.crt`;
    return `echo ${Buffer.from(pem).toString('base64')} | base64 -d > ${file} && cat ${file} >> ${SYSTEM_BUNDLE}`;
  });
  return [`RUN ${writes.join(' && ')}`, `ENV NODE_EXTRA_CA_CERTS=${SYSTEM_BUNDLE} PIP_CERT=${SYSTEM_BUNDLE}`];
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const pemBody = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');

/** Where Linux distributions keep certificates an administrator added (Debian/Ubuntu, Fedora/RHEL, Arch). */
const LOCAL_ANCHOR_DIRS = [
  '/usr/local/share/ca-certificates',
  '/etc/pki/ca-trust/source/anchors',
  '/etc/ca-certificates/trust-source/anchors',
];
/** Where Debian and Ubuntu keep the public roots they ship (already in the image's own ca-certificates). */
const DISTRO_ROOT_DIRS = ['/usr/share/ca-certificates'];

async function pemsUnder(dir: string, depth = 2): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory() && depth > 0) out.push(...(await pemsUnder(path, depth - 1)));
    else if (/\.(crt|pem)$/.test(e.name))
      out.push(...((await readFile(path, 'utf8').catch(() => '')).match(PEM_BLOCK) ?? []));
  }
  return out;
}

/**
 * The certificate authorities this machine trusts beyond the public roots: the ones an administrator
 * added to the OS store (Linux anchor folders) and those in the NODE_EXTRA_CA_CERTS bundle, minus
 * the public roots (Node's own and the distribution's, so the result does not change with the Node
 * version that asks). Sorted, so the layer's hash stays put while the machine's trust does.
 * Elsewhere (macOS, Windows), NODE_EXTRA_CA_CERTS is the way to name a TLS-inspecting proxy's CA.
 */
export async function hostExtraCaCertificates(
  env: NodeJS.ProcessEnv = process.env,
  dirs: { anchors: readonly string[]; distroRoots: readonly string[] } = {
    anchors: LOCAL_ANCHOR_DIRS,
    distroRoots: DISTRO_ROOT_DIRS,
  },
): Promise<string[]> {
  const found: string[] = [];
  for (const dir of dirs.anchors) found.push(...(await pemsUnder(dir)));
  if (env.NODE_EXTRA_CA_CERTS)
    found.push(...((await readFile(env.NODE_EXTRA_CA_CERTS, 'utf8').catch(() => '')).match(PEM_BLOCK) ?? []));
  const publicRoots = new Set(
    [...tls.rootCertificates, ...(await Promise.all(dirs.distroRoots.map((d) => pemsUnder(d)))).flat()].map(pemBody),
  );
  const extra = new Map<string, string>();
  for (const pem of found) {
    const body = pemBody(pem);
    if (body && !publicRoots.has(body)) extra.set(body, `${pem.trim()}\n`);
  }
  return [...extra.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, pem]) => pem);
}

async function ensureBase(
  engine: ContainerEngine,
  baseImage: string,
  resourcesDir: string,
  onProgress: Progress,
  signal: AbortSignal,
): Promise<string> {
  const existing = await engine.inspectImage(baseImage);
  if (existing) return existing.id;
  onProgress(`Building the sandbox image ${baseImage} (first use)`);
  const containerfile = await readFile(join(resourcesDir, 'sandbox/Containerfile'), 'utf8');
  try {
    await engine.buildImage({
      tag: baseImage,
      containerfile,
      labels: {},
      onProgress: (line) => onProgress(line),
      signal,
    });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new CospecError(
      'IMAGE_BUILD_FAILED',
      `The sandbox image ${baseImage} is missing and could not be built (no registry reachable?). Build it offline with \`npm run setup:system\` (scripts/setup/sandbox-image.sh) and try again.`,
      error instanceof Error ? error.message : String(error),
    );
  }
  const built = await engine.inspectImage(baseImage);
  if (!built)
    throw new CospecError('IMAGE_BUILD_FAILED', `Building ${baseImage} reported success but the image is not there.`);
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
  /** CAs the install steps must trust (PEM each); this machine's beyond the public roots by default. */
  extraCaPems?: readonly string[];
}): Promise<string> {
  const { engine, onProgress, signal } = opts;
  onProgress('Checking the sandbox image', 0);
  const baseId = await ensureBase(engine, opts.baseImage, opts.resourcesDir, onProgress, signal);
  const steps = installStepsFor(opts.agentNames);
  if (!steps.length) {
    onProgress('Sandbox image ready', 100);
    return opts.baseImage;
  }
  const containerfile = agentLayerContainerfile(
    opts.baseImage,
    steps,
    opts.extraCaPems ?? (await hostExtraCaCertificates()),
  );
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

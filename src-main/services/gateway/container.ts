/**
 * What the sandbox needs to know to point a container at the gateway: the clone's remote (the real
 * GitLab URL, never with credentials in it) and the environment that makes git, curl, OpenSSL and
 * Node trust the run CA.
 */

/** The git remote the container's clone uses: the real instance URL, no userinfo. */
export function gitRemoteForContainer(instanceUrl: string, projectPath: string): string {
  const url = new URL(instanceUrl);
  url.username = '';
  url.password = '';
  const base = url.toString().replace(/\/+$/, '');
  return `${base}/${projectPath.replace(/^\/+|\/+$/g, '').replace(/\.git$/i, '')}.git`;
}

/** The instance URL as the agent should use it (no userinfo, no trailing slash). */
export function gitlabUrlForContainer(instanceUrl: string): string {
  const url = new URL(instanceUrl);
  url.username = '';
  url.password = '';
  return url.toString().replace(/\/+$/, '');
}

/**
 * Environment making TLS clients in the container trust `bundlePath`. Several of these variables
 * REPLACE the system store (SSL_CERT_FILE, CURL_CA_BUNDLE, GIT_SSL_CAINFO), so `bundlePath` must be
 * the image's CA bundle with the run CA appended — otherwise tunnels to the other allowed domains
 * (model APIs, package registries) would stop verifying. NODE_EXTRA_CA_CERTS adds, so the run CA
 * alone is enough there; `runCaPath` is that file.
 */
export function containerTrustEnv(bundlePath: string, runCaPath: string): Record<string, string> {
  return {
    SSL_CERT_FILE: bundlePath,
    CURL_CA_BUNDLE: bundlePath,
    GIT_SSL_CAINFO: bundlePath,
    REQUESTS_CA_BUNDLE: bundlePath,
    NODE_EXTRA_CA_CERTS: runCaPath,
  };
}

/** Shell line the container's entrypoint runs to build the bundle `containerTrustEnv` points at. */
export function trustBundleCommand(systemBundle: string, runCaPath: string, bundlePath: string): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return `cat ${q(systemBundle)} ${q(runCaPath)} > ${q(bundlePath)}`;
}

/** The variables the sample agent (and any agent adapter that wants them) reads. */
export function agentGitLabEnv(opts: {
  instanceUrl: string;
  projectPath: string;
  projectId?: number;
  taskFile: string;
  runId: string;
  /** Branches the agent may push start with this (the gateway refuses others). */
  branchPrefix?: string;
}): Record<string, string> {
  return {
    COSPEC_GITLAB_URL: gitlabUrlForContainer(opts.instanceUrl),
    COSPEC_PROJECT_PATH: opts.projectPath,
    ...(opts.projectId !== undefined ? { COSPEC_PROJECT_ID: String(opts.projectId) } : {}),
    COSPEC_TASK_FILE: opts.taskFile,
    COSPEC_RUN_ID: opts.runId,
    ...(opts.branchPrefix ? { COSPEC_BRANCH_PREFIX: opts.branchPrefix } : {}),
    GIT_TERMINAL_PROMPT: '0',
  };
}

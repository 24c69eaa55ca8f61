import type { Dispatcher } from 'undici';

/** Which clone implementation ran: the user's git (fast) or isomorphic-git (built in, needs nothing installed). */
export type CloneEngineName = 'git' | 'isomorphic-git';

/** HTTP Basic credentials for one clone: `oauth2`/<token> for OAuth, <username>/<PAT> for a PAT. */
export interface GitCredentials {
  username: string;
  password: string;
}

export interface CloneRequest {
  /** The project's http(s) URL; must not carry credentials. */
  url: string;
  /** The workspace to create; it must not exist yet (or be an empty folder). */
  dir: string;
  /** The branch to check out; the remote's default branch when absent. */
  branch?: string;
  /** Shallow clone of this many commits (implies a single branch, as git does). */
  depth?: number;
  /** Asked once per clone (and again after a retry); the answer is never stored. */
  credentials: () => Promise<GitCredentials>;
  /** The account's undici dispatcher (proxy, CA); used by the isomorphic-git path. */
  dispatcher?: Dispatcher;
  /**
   * The same network settings for the git CLI path, which cannot use a dispatcher: the CA bundle
   * (PEM) and the proxy URL. Without them, a request that has a dispatcher goes to isomorphic-git
   * so the account's settings still apply.
   */
  network?: { caPem?: string; proxyUrl?: string };
  /** Overall progress: a phase description and, when known, 0–100. */
  onProgress?: (detail: string, percent?: number) => void;
  signal?: AbortSignal;
  /** Force one path; `auto` (default) uses git when installed. */
  engine?: CloneEngineName | 'auto';
}

export interface CloneResult {
  branch: string;
  /** The commit checked out. */
  head: string;
  engine: CloneEngineName;
  /** Things the user should know that did not fail the clone (for example LFS files left as pointers). */
  warnings: string[];
}

/** One way of cloning into a fresh folder; the service wraps it with staging, retries and cleanup. */
export interface CloneEngine {
  readonly name: CloneEngineName;
  /** Clones into `dir` (which does not exist yet) and reports the branch checked out. */
  clone(req: EngineRequest): Promise<{ branch: string; head: string; warnings: string[] }>;
}

export interface EngineRequest {
  url: string;
  dir: string;
  branch?: string;
  depth?: number;
  credentials: () => Promise<GitCredentials>;
  dispatcher?: Dispatcher;
  network?: { caPem?: string; proxyUrl?: string };
  onProgress: (detail: string, percent?: number) => void;
  signal: AbortSignal;
}

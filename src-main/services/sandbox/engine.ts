/**
 * The narrow view of a container engine the sandbox needs: the sandbox works through this
 * interface and owns its request and result types. The implementation speaks the Docker Engine API
 * (engine-docker.ts; finding one is engine-locate.ts), which Docker, Podman, Colima and Rancher Desktop all serve.
 */

export interface BindMount {
  host: string;
  container: string;
  readOnly: boolean;
}

/** A named volume of the engine mounted into a container (remote engines: no host folder to bind). */
export interface VolumeMount {
  volume: string;
  container: string;
}

/** Everything a sandboxed container is created with; hardening is not optional here on purpose. */
export interface ContainerSpec {
  name: string;
  image: string;
  cmd: string[];
  env: Record<string, string>;
  /** "uid:gid"; never root. */
  user: string;
  workingDir: string;
  labels: Record<string, string>;
  binds: BindMount[];
  /** Named volumes, read-write (remote engines fill them with putArchive before the start). */
  volumes?: VolumeMount[];
  /** Writable tmpfs mounts on the read-only root, path → mount options. */
  tmpfs: Record<string, string>;
  memoryBytes: number;
  nanoCpus: number;
  pidsLimit: number;
  /**
   * The networks the container joins, the first at creation and the others before it starts;
   * none at all (no interface but loopback) when absent or empty.
   */
  networks?: string[];
  /**
   * The main process's stdio is read and written through `attachStream` alone (attached before the
   * start): its stdin stays open, and the engine keeps no log of what passes (a tunnel's bytes).
   */
  attached?: boolean;
}

/** What the engine says about itself, for choosing how a run reaches its egress proxy. */
export interface EngineInfo {
  engine: 'Docker' | 'Podman';
  /** The engine host's OS name, e.g. "Debian GNU/Linux 12" or "Docker Desktop". */
  operatingSystem: string;
  /** The network containers join by default: "bridge" (Docker) or "podman". */
  defaultNetwork: string;
}

export interface ImageInfo {
  id: string;
  labels: Record<string, string>;
}

export interface ContainerExit {
  exitCode: number;
  oomKilled: boolean;
}

export interface ContainerHandle {
  readonly id: string;
  start(): Promise<void>;
  /** Streams stdout/stderr line by line until the output ends; `stopped` (the container's exit) bounds the wait for that end. */
  followLogs(onLine: (line: string, stream: 'stdout' | 'stderr') => void, stopped: Promise<unknown>): Promise<void>;
  /** Resolves when the container stops. */
  wait(): Promise<ContainerExit>;
  /** SIGKILL; a stopped container is not an error. */
  kill(): Promise<void>;
  /** Runs a command inside the running container and returns its output (tests, diagnostics). */
  exec(cmd: string[], opts?: { user?: string }): Promise<{ exitCode: number; output: string }>;
  /** Starts a command inside the running container and returns without waiting for it. */
  execDetached(cmd: string[], opts?: { user?: string }): Promise<void>;
  /**
   * Connects the caller to the main process's stdin and stdout through the engine API (works the
   * same with a remote engine) of a container created `attached`, before its start; stderr lines
   * go to onStderr.
   */
  attachStream(opts: { onStderr?: (line: string) => void }): Promise<ProcessStream>;
  /** Extracts a tar stream into a folder of the container (created or stopped containers too). */
  putArchive(path: string, tar: NodeJS.ReadableStream): Promise<void>;
  /** A tar stream of a folder of the container (created or stopped containers too). */
  getArchive(path: string): Promise<NodeJS.ReadableStream>;
  /** The container's IPv4 address on one of its networks. */
  addressOn(network: string): Promise<string | undefined>;
  remove(): Promise<void>;
}

/** A process running in a container, its stdio carried over the engine's API connection. */
export interface ProcessStream {
  readonly stdin: NodeJS.WritableStream;
  readonly stdout: NodeJS.ReadableStream;
  /** Resolves when the command's streams end. */
  readonly ended: Promise<void>;
  /** Ends the streams (the command sees its stdin close). */
  close(): void;
}

export interface ContainerEngine {
  /** A short name of where the engine was found, e.g. "unix:///run/cospec/podman.sock". */
  readonly endpoint: string;
  /**
   * True when the engine runs on another machine (ssh://, tcp://): it cannot see this computer's
   * folders or sockets, so runs copy the workspace in and out and tunnel egress over the API.
   */
  readonly remote: boolean;
  /** Throws CospecError('ENGINE_UNAVAILABLE') with what to install or start when nothing answers. */
  version(): Promise<{ engine: string; version: string; apiVersion: string }>;
  inspectImage(name: string): Promise<ImageInfo | undefined>;
  /** Builds an image from a Containerfile text (no other context files), streaming progress lines. */
  buildImage(opts: {
    tag: string;
    containerfile: string;
    labels: Record<string, string>;
    onProgress(line: string): void;
    signal: AbortSignal;
  }): Promise<void>;
  createContainer(spec: ContainerSpec): Promise<ContainerHandle>;
  /** Containers carrying this label (any state). */
  listContainers(label: string, value?: string): Promise<Array<{ id: string; labels: Record<string, string> }>>;
  removeContainer(id: string): Promise<void>;
  info(): Promise<EngineInfo>;
  /** An internal network: no gateway to the host or beyond, no DNS server, a loopback-sized MTU; labelled for clean-up. */
  createInternalNetwork(name: string, labels: Record<string, string>): Promise<void>;
  /** The host's address on a network (its gateway), when the network has one. */
  networkGateway(name: string): Promise<string | undefined>;
  /** Networks carrying this label. */
  listNetworks(label: string): Promise<Array<{ name: string; labels: Record<string, string> }>>;
  /** Removes a network; a missing one is not an error. */
  removeNetwork(name: string): Promise<void>;
  createVolume(name: string, labels: Record<string, string>): Promise<void>;
  /** Lets go of the connection (a remote engine's ssh session); local engines hold nothing open. */
  close(): Promise<void>;
  /** Volumes carrying this label. */
  listVolumes(label: string): Promise<Array<{ name: string; labels: Record<string, string> }>>;
  /** Removes a volume; a missing one is not an error. */
  removeVolume(name: string): Promise<void>;
}

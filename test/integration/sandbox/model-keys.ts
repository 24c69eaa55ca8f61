import { request, type IncomingMessage } from 'node:http';
import type { ContainerHandle } from '../../../src-main/services/sandbox';
import { SOCKET, sh } from './harness';

/**
 * Looks for secrets everywhere a sandboxed agent could read them: the container's configuration
 * (the engine's inspect, Config.Env), its files (the root filesystem exported through the engine,
 * and the tmpfs and mounted folders read through the archive API) and every process's environment
 * and command line (read from /proc inside the container as the agent's own user, which may read
 * its processes). The search runs here, on the host: a grep inside would put the secret on a
 * command line of its own.
 */

const engineUrl = SOCKET.includes('://') ? SOCKET : `unix://${SOCKET}`;

/** Which of `secrets` occur in a stream (matches spanning chunk boundaries included). */
export async function secretsInStream(stream: NodeJS.ReadableStream, secrets: string[]): Promise<string[]> {
  const needles = secrets.map((s) => Buffer.from(s));
  const overlap = Math.max(...needles.map((n) => n.length)) - 1;
  const found = new Set<string>();
  let tail = Buffer.alloc(0);
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const data = Buffer.concat([tail, Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)]);
    needles.forEach((n, i) => {
      if (data.includes(n)) found.add(secrets[i]!);
    });
    tail = data.subarray(Math.max(0, data.length - overlap));
  }
  return [...found];
}

/** The container's environment as the engine reports it (what `podman inspect` / `docker inspect` show). */
export async function inspectEnv(id: string): Promise<string[]> {
  const out = await sh('podman', ['--url', engineUrl, 'inspect', '--format', '{{json .Config.Env}}', id]);
  if (out.code !== 0) throw new Error(`podman inspect failed: ${out.stderr}`);
  return JSON.parse(out.stdout) as string[];
}

/** Secrets found in the container's exported root filesystem (the engine API's export, as `podman export`). */
export async function secretsInExport(id: string, secrets: string[]): Promise<{ found: string[]; bytes: number }> {
  const socketPath = engineUrl.replace(/^unix:\/\//, '');
  const res = await new Promise<IncomingMessage>((resolve, reject) =>
    request({ socketPath, path: `/containers/${encodeURIComponent(id)}/export`, method: 'GET' }, resolve)
      .on('error', reject)
      .end(),
  );
  if (res.statusCode !== 200) throw new Error(`the engine's export answered ${res.statusCode}`);
  let bytes = 0;
  res.on('data', (c: Buffer) => (bytes += c.length));
  const found = await secretsInStream(res, secrets);
  return { found, bytes };
}

/** Secrets found in folders of the running container read through the engine's archive API (tmpfs, mounts). */
export async function secretsInFolders(c: ContainerHandle, folders: string[], secrets: string[]): Promise<string[]> {
  const found = new Set<string>();
  for (const folder of folders)
    for (const s of await secretsInStream(await c.getArchive(folder), secrets)) found.add(s);
  return [...found];
}

/**
 * Every process's environment and command line inside the container, read as the container's user
 * (the agent's), with a count of the processes read so an empty answer cannot pass for a clean one.
 */
export async function processTables(c: ContainerHandle): Promise<{ text: string; processes: number }> {
  const script =
    'n=0; for p in /proc/[0-9]*; do if cat "$p/environ" >/dev/null 2>&1; then n=$((n+1)); fi; ' +
    'cat "$p/environ" "$p/cmdline" 2>/dev/null | tr "\\0" "\\n"; done; echo "cospec-processes=$n"';
  const { output } = await c.exec(['sh', '-c', script]);
  return { text: output, processes: Number(/cospec-processes=(\d+)/.exec(output)?.[1] ?? 0) };
}

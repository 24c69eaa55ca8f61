import { readdir, readFile } from 'node:fs/promises';

/**
 * The CPU a local Podman API service spends, for the test and the benchmark that check a run's
 * wait for its container costs the engine nothing (src-main/services/sandbox/engine-docker.ts).
 */

/** The process of the `podman system service` listening on `socket`, if that is the engine here. */
export async function engineServicePid(socket: string): Promise<number | undefined> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const args = await readFile(`/proc/${entry}/cmdline`, 'utf8').then(
      (text) => text.split('\0'),
      (): string[] => [],
    );
    if (args.includes('system') && args.includes('service') && args.some((a) => a.endsWith(socket)))
      return Number(entry);
  }
  return undefined;
}

/** User and system CPU time of a process so far, in ms (clock ticks of 10 ms). */
export async function cpuTimeMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The CPU `pid` spends in the next `ms` milliseconds. */
export async function cpuDuring(pid: number, ms: number): Promise<number> {
  const before = await cpuTimeMs(pid);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return (await cpuTimeMs(pid)) - before;
}

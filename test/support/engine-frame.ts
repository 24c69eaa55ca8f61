/**
 * One frame of the engine's multiplexed stdio stream, as Docker and Podman send it on an attach or
 * exec without a terminal: stream type (1 stdout, 2 stderr), three zero bytes, the payload's length
 * (u32 BE), then the payload (src-main/services/sandbox/demux.ts reads them).
 */
export function engineFrame(type: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

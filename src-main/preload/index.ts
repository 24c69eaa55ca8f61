// The sandboxed preload: exposes exactly window.cospec, built from the typed contract. The renderer
// gets one async function per contract method and an event subscription; never ipcRenderer itself.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { eventChannel, eventNames, invokeChannel, type WireResult } from '../../src-shared/ipc/channels';
import { createCospecApi, type Transport } from '../../src-shared/ipc/client';
import type { EventName } from '../../src-shared/ipc/contract';

const knownEvents = new Set<string>(eventNames);

const transport: Transport = {
  invoke: (service, method, args) => ipcRenderer.invoke(invokeChannel(service, method), ...args) as Promise<WireResult>,
  subscribe(event: EventName, listener: (payload: unknown) => void) {
    // createCospecApi passes the renderer's event name through; only contract events get a channel.
    if (!knownEvents.has(event)) throw new TypeError(`Unknown event "${String(event)}".`);
    const channel = eventChannel(event);
    // The IpcRendererEvent (which carries `sender`, i.e. ipcRenderer) is dropped here on purpose.
    const wrapped = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
    ipcRenderer.on(channel, wrapped);
    return () => void ipcRenderer.removeListener(channel, wrapped);
  },
};

contextBridge.exposeInMainWorld('cospec', createCospecApi(transport));

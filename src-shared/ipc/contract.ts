import { z } from 'zod';
import type { ServiceClient, ServiceHandlers, ServiceSpec } from './define';
import { appContract } from './services/app';
import { accountsContract } from './services/accounts';
import { repositoriesContract } from './services/repositories';
import { runsContract, RunLogSchema } from './services/runs';
import { updatesContract, UpdateStateSchema } from './services/updates';
import { settingsContract } from './services/settings';
import { reviewContract } from './services/review';
import { localGitLabContract } from './services/local-gitlab';
import { AccountSchema } from '../model/account';
import { ProjectListSchema } from '../model/project';
import { RunRecordSchema } from '../model/run';

/**
 * The one typed contract between renderer and main. Adding a service: write its spec under
 * ./services, add it here; the bridge, the preload and the UI harness pick it up from this object.
 */
export const contract = {
  app: appContract,
  accounts: accountsContract,
  repositories: repositoriesContract,
  runs: runsContract,
  updates: updatesContract,
  settings: settingsContract,
  review: reviewContract,
  localGitLab: localGitLabContract,
} satisfies Record<string, ServiceSpec>;
export type Contract = typeof contract;
export type ServiceName = keyof Contract;

/** Events main pushes to the renderer, each with its payload schema. */
export const events = {
  'accounts.didChange': z.array(AccountSchema),
  'repositories.didChange': ProjectListSchema,
  'runs.didChange': RunRecordSchema,
  'runs.didLog': RunLogSchema,
  'updates.didChange': UpdateStateSchema,
} satisfies Record<string, z.ZodType>;
export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.infer<Events[E]>;

/** The object the preload exposes as window.cospec (and the UI harness installs in tests). */
export type CospecApi = { [S in ServiceName]: ServiceClient<Contract[S]> } & {
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
};

/** What main implements: every method of every service. */
export type CospecHandlers = { [S in ServiceName]: ServiceHandlers<Contract[S]> };

import { BASE_IMAGE } from './image';

/**
 * What a sandbox gets when neither the user nor the policy says otherwise. The pids default is the
 * value the README's policy example documents (512).
 */
export const SANDBOX_DEFAULTS = {
  image: BASE_IMAGE,
  memoryMb: 4096,
  cpus: 2,
  pidsLimit: 512,
  timeoutMinutes: 60,
} as const;

/** The limits a run gets (policy over user over SANDBOX_DEFAULTS, resolved by the settings service, settings/index.ts). */
export interface SandboxLimits {
  image: string;
  memoryMb: number;
  cpus: number;
  pidsLimit: number;
  timeoutMinutes: number;
  /** True when the policy pins the image: it is used as is, never rebuilt. */
  imagePinned: boolean;
}

/** The part of the limits a container is started with. */
export type ContainerLimits = Pick<SandboxLimits, 'memoryMb' | 'cpus' | 'pidsLimit'>;

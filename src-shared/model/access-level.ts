/**
 * GitLab's access levels by number (the `access_level` of a membership), as GitLab names them.
 * The renderer shows them on projects; numbers GitLab may add later read "Access N".
 */
export const ACCESS_LEVELS: Readonly<Record<number, string>> = {
  10: 'Guest',
  20: 'Reporter',
  30: 'Developer',
  40: 'Maintainer',
  50: 'Owner',
};

/** The lowest access level coSPEC works with: an agent must be able to push branches and open MRs. */
export const DEVELOPER_ACCESS = 30;

/** The name of an access level ("Developer"), or "Access N" for a number GitLab has not named here. */
export function accessLabel(level: number): string {
  return ACCESS_LEVELS[level] ?? `Access ${level}`;
}

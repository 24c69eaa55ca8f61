import { z } from 'zod';

/**
 * The window's size, position and maximised state, remembered across launches (settings key
 * `window`) and restored on the display it was on, clamped so it is always reachable.
 */
export const WindowStateSchema = z.object({
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  maximized: z.boolean().default(false),
});
export type WindowState = z.infer<typeof WindowStateSchema>;

export const WINDOW_STATE_KEY = 'window';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}
/** What the shell knows of a display (Electron's screen.getAllDisplays()). */
export interface DisplayArea {
  workArea: Rect;
}

export interface WindowPlacement {
  /** Absent: let the OS centre the default size on the primary display. */
  bounds?: Rect;
  maximized: boolean;
}

function overlap(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/**
 * Where to open the window: on the display the saved bounds overlap most (the one it was on), its
 * size and position clamped into that display's work area and at least the minimum size. A saved
 * window on a display that is gone opens on the primary display (the first), centred.
 */
export function placeWindow(
  saved: WindowState | undefined,
  displays: DisplayArea[],
  min: { width: number; height: number },
): WindowPlacement {
  if (!saved || displays.length === 0) return { maximized: saved?.maximized ?? false };
  const ranked = displays
    .map((d) => ({ area: d.workArea, shared: overlap(saved, d.workArea) }))
    .sort((a, b) => b.shared - a.shared);
  const best = ranked[0];
  const onScreen = best && best.shared > 0;
  const area = onScreen ? best.area : displays[0]!.workArea;
  const width = Math.max(Math.min(saved.width, area.width), Math.min(min.width, area.width));
  const height = Math.max(Math.min(saved.height, area.height), Math.min(min.height, area.height));
  const x = onScreen
    ? Math.min(Math.max(saved.x, area.x), area.x + area.width - width)
    : area.x + Math.round((area.width - width) / 2);
  const y = onScreen
    ? Math.min(Math.max(saved.y, area.y), area.y + area.height - height)
    : area.y + Math.round((area.height - height) / 2);
  return { bounds: { x, y, width, height }, maximized: saved.maximized };
}

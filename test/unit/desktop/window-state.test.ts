import { describe, expect, it } from 'vitest';
import { placeWindow, type DisplayArea } from '../../../src-main/services/desktop/window-state';

const MIN = { width: 900, height: 600 };
const laptop: DisplayArea = { workArea: { x: 0, y: 25, width: 1440, height: 875 } };
const external: DisplayArea = { workArea: { x: 1440, y: 0, width: 2560, height: 1400 } };
const leftPortrait: DisplayArea = { workArea: { x: -1080, y: -400, width: 1080, height: 1880 } };

describe('placing the window', () => {
  it('uses the default size and position the first time', () => {
    expect(placeWindow(undefined, [laptop], MIN)).toEqual({ maximized: false });
  });

  it('restores bounds on the display they were on (the one they overlap most)', () => {
    const saved = { x: 1600, y: 100, width: 1400, height: 900, maximized: false };
    expect(placeWindow(saved, [laptop, external], MIN)).toEqual({
      bounds: { x: 1600, y: 100, width: 1400, height: 900 },
      maximized: false,
    });
    const onLeft = { x: -1000, y: -300, width: 1000, height: 1200, maximized: true };
    expect(placeWindow(onLeft, [laptop, leftPortrait], MIN)).toEqual({
      bounds: { x: -1000, y: -300, width: 1000, height: 1200 },
      maximized: true,
    });
  });

  it('clamps a window hanging off its display back into the work area', () => {
    const saved = { x: 3800, y: 1300, width: 1000, height: 800, maximized: false };
    expect(placeWindow(saved, [laptop, external], MIN).bounds).toEqual({ x: 3000, y: 600, width: 1000, height: 800 });
  });

  it('shrinks a window larger than its display, and never below the minimum size the display allows', () => {
    const huge = { x: 0, y: 25, width: 4000, height: 3000, maximized: false };
    expect(placeWindow(huge, [laptop], MIN).bounds).toEqual({ x: 0, y: 25, width: 1440, height: 875 });
    const tiny = { x: 10, y: 30, width: 200, height: 100, maximized: false };
    expect(placeWindow(tiny, [laptop], MIN).bounds).toEqual({ x: 10, y: 30, width: 900, height: 600 });
  });

  it('moves a window from a display that is gone onto the primary display, centred', () => {
    const saved = { x: 1600, y: 100, width: 1200, height: 800, maximized: true };
    expect(placeWindow(saved, [laptop], MIN)).toEqual({
      bounds: { x: 120, y: 63, width: 1200, height: 800 },
      maximized: true,
    });
  });
});

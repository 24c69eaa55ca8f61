import { CospecError } from '../../../src-shared/ipc/errors';
import type { DiffPosition, ReviewFile } from '../../../src-shared/model/review';

/** The line part of a GitLab text position: new_line for an added line, old_line for a removed one, both for an unchanged one. */
export interface LinePosition {
  old_path: string;
  new_path: string;
  new_line?: number;
  old_line?: number;
}

/**
 * Completes a line comment's position from the diff. GitLab attaches a comment on an unchanged line
 * only when it gets both line numbers; the UI knows one, so the other is read from the hunks, or,
 * for a line outside every hunk, shifted by the lines the hunks above it added or removed.
 */
export function resolvePosition(file: ReviewFile, position: DiffPosition): LinePosition {
  const base = { old_path: file.oldPath, new_path: file.newPath };
  const invalid = (why: string) =>
    new CospecError('DIFF_POSITION_INVALID', `Can't comment on that line: ${why}`, JSON.stringify(position));
  const changes = file.hunks.flatMap((h) => h.changes);

  if (position.newLine !== undefined) {
    if (file.type === 'delete') throw invalid(`${file.oldPath} is deleted, so it has no new lines.`);
    const line = position.newLine;
    for (const c of changes) {
      if (c.type === 'insert' && c.lineNumber === line) return { ...base, new_line: line };
      if (c.type === 'normal' && c.newLineNumber === line)
        return { ...base, new_line: line, old_line: c.oldLineNumber };
    }
    if (file.type === 'add') throw invalid(`${file.newPath} has no line ${line}.`);
    if (position.oldLine !== undefined) return { ...base, new_line: line, old_line: position.oldLine };
    let shift = 0;
    for (const h of file.hunks) {
      if (line >= h.newStart && line < h.newStart + h.newLines) throw invalid(`line ${line} is not in the diff.`);
      if (h.newStart + h.newLines <= line) shift += h.newLines - h.oldLines;
    }
    return { ...base, new_line: line, old_line: line - shift };
  }

  const line = position.oldLine as number;
  if (file.type === 'add') throw invalid(`${file.newPath} is new, so it has no old lines.`);
  for (const c of changes) {
    if (c.type === 'delete' && c.lineNumber === line) return { ...base, old_line: line };
    if (c.type === 'normal' && c.oldLineNumber === line) return { ...base, old_line: line, new_line: c.newLineNumber };
  }
  if (file.type === 'delete') throw invalid(`${file.oldPath} had no line ${line}.`);
  let shift = 0;
  for (const h of file.hunks) {
    if (line >= h.oldStart && line < h.oldStart + h.oldLines) throw invalid(`old line ${line} is not in the diff.`);
    if (h.oldStart + h.oldLines <= line) shift += h.newLines - h.oldLines;
  }
  return { ...base, old_line: line, new_line: line + shift };
}

/**
 * Finds the lines GitLab could run as quick actions (`/merge`, `/approve`, `/move …`) in text the
 * agent sends, so the gateway can refuse the request before GitLab sees it.
 *
 * GitLab's extractor (lib/gitlab/quick_actions/extractor.rb) deletes every "\r", then runs a line
 * `/name[ argument]` whose name is one of its commands, compared case-insensitively with Unicode
 * folding (so "/ſtop" can match a command with an "s"), outside fenced code, inline code, HTML
 * blocks and `>>>` quotes; newer versions first keep only top-level Markdown paragraphs, older ones
 * scan the whole text. The instance's version and command list are unknown here, so this errs
 * towards refusing:
 *
 * - any name counts, known or not: a line starting with "/" followed by letters, digits, marks or
 *   "_", then a space, a tab or the end of the line. A path ("/usr/bin/env") or a comment ("/*")
 *   can never be a command and passes;
 * - the only text exempted is a fenced block that every GitLab version treats as code: opened at
 *   column 0 by exactly three backticks (info string without backticks), closed by the next line
 *   holding a backtick, which must be exactly three backticks; and only when the text has no other
 *   backtick, no line starting with "<", no ">>>" line and no front matter that could re-pair the
 *   fences in one of GitLab's regular expressions or swallow an opener into another block.
 */

export interface QuickActionLine {
  /** The command as written, e.g. "/merge". */
  command: string;
  /** 1-based line number in the text (after GitLab's removal of "\r"). */
  line: number;
}

const COMMAND_LINE = /^\/([\p{L}\p{N}\p{M}_]+)(?=[ \t\f\v]|$)/u;
const OPENER = /^```[^`]*$/;

/** Lines the fences exempt, or an empty set when the text is not plain enough to trust them. */
function exemptLines(lines: string[]): Set<number> {
  const exempt = new Set<number>();
  const fenceLines = new Set<number>();
  for (let i = 0; i < lines.length; i++) {
    if (!OPENER.test(lines[i]!)) continue;
    let j = i + 1;
    while (j < lines.length && !lines[j]!.includes('`')) j++;
    if (j >= lines.length || lines[j] !== '```') continue;
    fenceLines.add(i).add(j);
    for (let k = i + 1; k < j; k++) exempt.add(k);
    i = j;
  }
  // Front matter (---, +++, ;;; on the first line) would swallow an opener and end inside the "fence".
  if (/^(---|\+\+\+|;;;)/.test(lines[0] ?? '')) return new Set();
  for (let i = 0; i < lines.length; i++) {
    if (exempt.has(i) || fenceLines.has(i)) continue;
    const line = lines[i]!;
    if (line.includes('`') || /^\s*</.test(line) || line.startsWith('>>>')) return new Set();
  }
  return exempt;
}

/** Every line of `text` GitLab might run as a quick action. */
export function findQuickActions(text: string): QuickActionLine[] {
  const lines = text.replace(/\r/g, '').split('\n');
  const exempt = exemptLines(lines);
  const found: QuickActionLine[] = [];
  lines.forEach((line, index) => {
    if (exempt.has(index)) return;
    const match = COMMAND_LINE.exec(line);
    if (match) found.push({ command: `/${match[1]!}`, line: index + 1 });
  });
  return found;
}

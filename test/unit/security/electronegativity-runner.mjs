// Runs @doyensec/electronegativity over one folder and prints its findings as JSON on stdout.
// It runs in its own process because the tool installs globals (i18n, winston) on load. Its two
// internet look-ups (translations from S3, Electron release data from GitHub) are answered
// "offline" so the test never leaves this machine; neither affects the analysis of our code.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const require = createRequire(import.meta.url);
const toolDir = dirname(require.resolve('@doyensec/electronegativity/package.json'));
const gotPath = require.resolve('got', { paths: [toolDir] });
const offline = Object.assign(() => Promise.reject(new Error('offline: network look-ups are disabled in tests')), {
  __esModule: true,
});
offline.head = offline;
offline.default = offline;
require.cache[gotPath] = { id: gotPath, filename: gotPath, loaded: true, exports: offline };

const [input, electronVersion] = process.argv.slice(2);
const tool = require('@doyensec/electronegativity');
const run = tool.default ?? tool;
const result = await run(
  {
    input,
    electronVersionOverride: electronVersion,
    // Compares the Electron version with release data fetched from GitHub: needs the internet.
    excludeFromScan: ['AvailableSecurityFixesGlobalCheck'],
    isRelative: true,
  },
  false,
);
const findings = result.issues.map((issue) => ({
  id: issue.id,
  file: issue.file,
  line: issue.location.line,
  column: issue.location.column,
  severity: issue.severity.name,
  confidence: issue.confidence.name,
  description: issue.description,
}));
process.stdout.write(
  `\n@@FINDINGS@@${JSON.stringify({ checks: result.atomicChecks + result.globalChecks, errors: result.errors, findings })}\n`,
);

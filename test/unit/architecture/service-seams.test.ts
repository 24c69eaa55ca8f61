import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The main-process service seams, checked on the source tree itself (imports of every kind,
 * re-exports and dynamic import() included, which the lint rules in eslint.config.js do not see):
 * the sandbox owns its request types and never reaches into the runs service, the composition
 * root (services/create-services.ts) is the only place services are wired and nothing under it
 * imports back, services/index.ts only re-exports, and the removed seams stay removed.
 */
const ROOT = resolve(__dirname, '../../..');
const SERVICES = join(ROOT, 'src-main/services');
const SCANNED = ['src-main', 'test', 'bench', 'scripts', 'tools'];

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    if (name === 'node_modules' || name.startsWith('.')) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx|mts|cts|js|mjs|cjs)$/.test(name) ? [path] : [];
  });
}

/** Every relative module a file imports, re-exports or loads, resolved to a path without extension. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [
    ...text.matchAll(/\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g),
    ...text.matchAll(/\brequire\s*\(\s*['"]([^'"]+)['"]/g),
  ].map((m) => m[1] as string);
  return specifiers
    .filter((s) => s.startsWith('.'))
    .map((s) =>
      relative(ROOT, resolve(dirname(file), s))
        .replace(/\.(js|ts)$/, '')
        .replace(/\/index$/, ''),
    );
}

const all = SCANNED.flatMap((d) => sourceFiles(join(ROOT, d)));

describe('service seams', () => {
  it('the sandbox imports nothing from the runs service', () => {
    const offenders = sourceFiles(join(SERVICES, 'sandbox')).flatMap((file) =>
      importsOf(file)
        .filter((target) => target === 'src-main/services/runs' || target.startsWith('src-main/services/runs/'))
        .map((target) => `${relative(ROOT, file)} → ${target}`),
    );
    expect(offenders).toEqual([]);
  });

  it('services/index.ts only re-exports', () => {
    const code = readFileSync(join(SERVICES, 'index.ts'), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\/\/.*$/gm, '');
    const statements = code
      .split(';')
      .map((s) => s.trim())
      .filter(Boolean);
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements)
      expect(statement).toMatch(/^export\s+(type\s+)?(\*|\{[^}]*\})\s+from\s+'[^']+'$/);
  });

  it('no service imports the composition root or the services barrel', () => {
    const offenders = sourceFiles(SERVICES)
      .filter((file) => !['index.ts', 'create-services.ts'].includes(relative(SERVICES, file)))
      .flatMap((file) =>
        importsOf(file)
          .filter((t) => t === 'src-main/services' || t === 'src-main/services/create-services')
          .map((t) => `${relative(ROOT, file)} → ${t}`),
      );
    expect(offenders).toEqual([]);
  });

  it('the removed seams stay removed: services/runtime and services/preferences', () => {
    const gone = ['src-main/services/runtime', 'src-main/services/preferences'];
    expect(existsSync(join(SERVICES, 'runtime.ts'))).toBe(false);
    expect(existsSync(join(SERVICES, 'preferences'))).toBe(false);
    const offenders = all.flatMap((file) =>
      importsOf(file)
        .filter((t) => gone.some((g) => t === g || t.startsWith(`${g}/`)))
        .map((t) => `${relative(ROOT, file)} → ${t}`),
    );
    expect(offenders).toEqual([]);
  });
});

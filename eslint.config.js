import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

// Layer rules (see README "Architecture"): electron only in src-main/shell and the preload,
// no node:* in the renderer or src-shared, services never import the shell, the sandbox never
// imports the runs service (test/unit/architecture/service-seams.test.ts checks the rest).
const nodeBuiltins = [
  'node:*',
  'fs',
  'path',
  'os',
  'child_process',
  'net',
  'http',
  'https',
  'crypto',
  'url',
  'util',
  'stream',
  'events',
  'worker_threads',
];
const noElectron = {
  group: ['electron', 'electron/*'],
  message: 'Only src-main/shell and the preload may import electron (layer rule).',
};
const noNode = { group: nodeBuiltins, message: 'Node built-ins are not available in this layer (layer rule).' };
const noMain = {
  group: ['**/src-main/**', '../src-main/*'],
  message: 'The renderer talks to main only through window.cospec (layer rule).',
};
const noShell = {
  group: ['**/shell/**', '**/shell'],
  message: 'Services must not depend on the Electron shell (layer rule).',
};
const noReact = {
  group: ['react', 'react-dom', 'react/*', 'react-dom/*'],
  message: 'src-shared is framework-free (layer rule).',
};
const noFeatures = {
  group: ['**/features/**', '**/features', '**/api/**', '**/api'],
  message: 'Generic components never import features/ or api/ (layer rule).',
};
const noIpcInModel = {
  group: ['**/ipc/**', '**/ipc'],
  message: 'src-shared/model holds data shapes; the IPC contract imports the model, never the reverse (layer rule).',
};
const noFeaturesInApi = {
  group: ['**/features/**', '**/features'],
  message: 'api/ binds main to the UI; features import api/, never the reverse (layer rule).',
};
const serviceEntries = {
  group: ['**/services/agents/*', '../agents/*', '**/services/outputs/*', '../outputs/*'],
  message: 'Import the agents and outputs services through their index.ts, their public face (layer rule).',
};
const noRuns = {
  group: ['**/runs', '**/runs/**'],
  message: 'The sandbox owns its request and result types and never imports the runs service (layer rule).',
};
const noRenderer = {
  group: ['**/src-renderer/**'],
  message: 'Main-process code must not import the renderer (layer rule).',
};

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['src-shared/**/*.{ts,tsx}'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noElectron, noNode, noReact, noMain, noRenderer] }] },
  },
  {
    files: ['src-shared/model/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [noElectron, noNode, noReact, noMain, noRenderer, noIpcInModel] }],
    },
  },
  {
    files: ['src-main/services/**/*.ts', 'src-main/platform/**/*.ts', 'src-main/web-host/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noElectron, noShell, noRenderer, serviceEntries] }] },
  },
  {
    files: ['src-main/services/sandbox/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [noElectron, noShell, noRenderer, serviceEntries, noRuns] }],
    },
  },
  {
    files: ['src-main/preload/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noNode, noRenderer] }] },
  },
  {
    files: ['src-main/index.ts', 'src-main/shell/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noRenderer] }] },
  },
  {
    files: ['src-renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': ['error', { patterns: [noElectron, noNode, noMain] }],
    },
  },
  {
    files: ['src-renderer/api/**/*.{ts,tsx}'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noElectron, noNode, noMain, noFeaturesInApi] }] },
  },
  {
    files: ['src-renderer/components/**/*.{ts,tsx}'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noElectron, noNode, noMain, noFeatures] }] },
  },
);

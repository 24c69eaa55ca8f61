#!/usr/bin/env node
// The `cospec` command: runs the CLI from source through tsx (devDependency) in this checkout.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src-main/cli/index.ts');
process.exit(await main(process.argv.slice(2)));

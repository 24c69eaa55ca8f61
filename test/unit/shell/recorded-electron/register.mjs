// `node --import register.mjs out/main/index.js`: the built main process resolves 'electron' to
// the recording stand-in next to this file (the real binary cannot be downloaded here).
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);

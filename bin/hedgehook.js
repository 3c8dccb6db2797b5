#!/usr/bin/env node
// Runs the TypeScript sources through tsx so `npx hedgehook` works straight after `npm ci`,
// with no build step that a fresh clone could forget to run.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/main.ts');

#!/usr/bin/env node
// Runs the TypeScript CLI in this very process (no child), so signals reach the server directly.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');

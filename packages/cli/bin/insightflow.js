#!/usr/bin/env node
// The `insightflow` executable. It runs the TypeScript sources through tsx, so a fresh clone
// needs no build step before `npx insightflow` and never runs stale code.
import { register } from 'tsx/esm/api';

register();
// Before any SDK client exists: the SDK's warning on every start under Node.js 20 says nothing actionable here.
const { quietAwsSdkNodeVersionWarning } = await import('@insightflow/shared-config');
quietAwsSdkNodeVersionWarning();
await import('../src/cli.ts');

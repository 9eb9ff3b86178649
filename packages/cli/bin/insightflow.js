#!/usr/bin/env node
// The `insightflow` executable. It runs the TypeScript sources through tsx, so a fresh clone
// needs no build step before `npx insightflow` and never runs stale code.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on every start under Node.js 20; the warning says nothing actionable here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
await import('../src/cli.ts');

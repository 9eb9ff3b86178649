import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Catalog, instacartCatalog, readStacksConfig } from '@insightflow/shared-config';
import { buildApp } from '../../app.js';
import { EXAMPLE_CI, EXAMPLE_SNOWFLAKE_ENV, environmentSettings } from '../../config.js';
import type { SynthStack } from '../policies.js';

export { EXAMPLE_CI, EXAMPLE_SNOWFLAKE_ENV } from '../../config.js';

/** One synthesised app: its stacks' Terraform JSON and the manifest. */
export interface SynthesisedApp {
  outdir: string;
  stacks: SynthStack[];
  manifest: Record<string, { dependencies: string[]; synthesizedStackPath: string }>;
  warnings: string[];
}

/**
 * Synthesises the app for the given stacks configuration and catalog into a temporary directory.
 * Without a repository and state bucket of their own, the account stack's CI roles get example
 * ones (as in `npm run plan`), so every test sees them.
 */
export function synth(env: Record<string, string> = {}, catalog: Catalog = instacartCatalog()): SynthesisedApp {
  const outdir = mkdtempSync(path.join(tmpdir(), 'insightflow-synth-'));
  const warnings: string[] = [];
  const settings = environmentSettings(catalog, readStacksConfig(env), (m) => warnings.push(m));
  buildApp(
    { ...settings, account: { ...settings.account, ci: settings.account.ci ?? EXAMPLE_CI } },
    catalog,
    outdir,
  ).synth();
  const manifest = JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8'))
    .stacks as SynthesisedApp['manifest'];
  const stacks = Object.entries(manifest).map(([name, s]) => ({
    name,
    json: JSON.parse(readFileSync(path.join(outdir, s.synthesizedStackPath), 'utf8')),
  }));
  return { outdir, stacks, manifest, warnings };
}

/** The prod deployment the stack tests look at: every optional stack on, example Snowflake settings. */
export const PROD_ENV: Record<string, string> = {
  INSIGHTFLOW_ENV: 'prod',
  INSIGHTFLOW_BASTION: 'true',
  ...EXAMPLE_SNOWFLAKE_ENV,
};

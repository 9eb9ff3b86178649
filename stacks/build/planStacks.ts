/**
 * `npm run plan`: synthesises the app (the optional bastion and the account stack's CI roles
 * included) and runs `terraform init` and `plan` for every stack, fully offline; then synthesises
 * it again with every knob of two values at its other value (`INSIGHTFLOW_STREAM_SOURCE`,
 * `INSIGHTFLOW_RECRAWL`) and plans the stacks that synth changes:
 * - providers come from a filesystem mirror when the machine has one (TF_PLUGIN_MIRROR, default
 *   /opt/tf-plugins, `PlanConfigSchema`), through a generated Terraform CLI configuration, and must match the
 *   committed lock file (`init -lockfile=readonly`);
 * - a CI-only provider override supplies dummy credentials and the provider's skip_* flags, and
 *   points the two APIs the provider calls during plan at a local stand-in;
 * - upstream stacks' state is stubbed from their declared outputs.
 * Works in a scratch copy, so a real local state is never touched.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Catalog, childEnvironment, readPlanConfig, readPlannedStacksConfig } from '@insightflow/shared-config';
import { buildApp } from '../app.js';
import { BASTION_AMI_PARAMETER } from '../bastion.js';
import { type EnvironmentSettings, EXAMPLE_CI, EXAMPLE_SNOWFLAKE_ENV, environmentSettings } from '../config.js';
import { readConfiguredCatalog } from './configuredCatalog.js';

/** A stack in the synthesised manifest. */
interface ManifestStack {
  name: string;
  workingDirectory: string;
  dependencies: string[];
}

const execFileAsync = promisify(execFile);

/** Fails with install instructions when terraform is missing. */
export function requireTerraform(): string {
  try {
    return execFileSync('terraform', ['version', '-json'], {
      encoding: 'utf8',
      env: childEnvironment({ TF_CLI_CONFIG_FILE: '/dev/null' }),
    });
  } catch {
    throw new Error(
      'terraform is not installed: install Terraform ≥ 1.10 (https://developer.hashicorp.com/terraform/install) and, ' +
        'offline, a provider mirror with hashicorp/aws 5.100.0 under /opt/tf-plugins (or set TF_PLUGIN_MIRROR).',
    );
  }
}

/** Stacks in an order where every stack comes after its dependencies. */
export function deployOrder(stacks: Record<string, ManifestStack>): string[] {
  const order: string[] = [];
  const visit = (name: string, path: string[]) => {
    if (order.includes(name)) return;
    if (path.includes(name)) throw new Error(`Stack dependency cycle: ${[...path, name].join(' → ')}`);
    for (const dependency of stacks[name]?.dependencies ?? []) visit(dependency, [...path, name]);
    order.push(name);
  };
  for (const name of Object.keys(stacks).sort()) visit(name, []);
  return order;
}

/** A state file holding only outputs, for a stack's consumers to plan against. */
function stubState(stackJson: { output?: Record<string, unknown> }): string {
  const outputs = Object.fromEntries(
    Object.keys(stackJson.output ?? {}).map((name) => [
      name,
      { value: `arn:aws:stub:us-east-1:123456789012:${name.slice(-40)}`, type: 'string' },
    ]),
  );
  return JSON.stringify({
    version: 4,
    terraform_version: '1.11.0',
    serial: 1,
    lineage: 'insightflow-plan-stub',
    outputs,
    resources: [],
  });
}

/** The AMI id the stand-in answers for the bastion's AMI parameter (well-formed, not a real image). */
export const STAND_IN_AMI_ID = 'ami-0abcdef1234567890';

/**
 * A mock of the two AWS APIs the provider calls during plan, which cannot be reached offline:
 * Step Functions' ValidateStateMachineDefinition (JSON 1.0), which it accepts, and SSM's
 * GetParameter (JSON 1.1) for the bastion's public AMI parameter, which it answers with
 * {@link STAND_IN_AMI_ID}. Any other call gets a 400, so a new API call during plan fails loudly.
 */
function startPlanStandIn(): Promise<{ endpoint: string; close: () => void }> {
  return new Promise((resolve) => {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const target = String(request.headers['x-amz-target'] ?? '');
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { Name?: string };
        const answer = (status: number, contentType: string, payload: unknown) => {
          response.writeHead(status, { 'content-type': contentType });
          response.end(JSON.stringify(payload));
        };
        if (target === 'AWSStepFunctions.ValidateStateMachineDefinition') {
          answer(200, 'application/x-amz-json-1.0', { result: 'OK', diagnostics: [] });
        } else if (target === 'AmazonSSM.GetParameter' && body.Name === BASTION_AMI_PARAMETER) {
          answer(200, 'application/x-amz-json-1.1', {
            Parameter: {
              Name: BASTION_AMI_PARAMETER,
              Type: 'String',
              Value: STAND_IN_AMI_ID,
              Version: 1,
              DataType: 'aws:ec2:image',
              LastModifiedDate: 1_735_689_600,
              ARN: `arn:aws:ssm:us-east-1::parameter${BASTION_AMI_PARAMETER}`,
            },
          });
        } else {
          answer(400, 'application/x-amz-json-1.1', {
            __type: 'InvalidAction',
            message: `The offline plan's stand-in does not answer ${target || 'this request'} (${body.Name ?? ''}).`,
          });
        }
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ endpoint: `http://127.0.0.1:${port}`, close: () => server.close() });
    });
  });
}

/**
 * Writes a Terraform CLI configuration under `root` that installs hashicorp providers from the
 * mirror (`TF_PLUGIN_MIRROR`, when the machine has one) through a plugin cache; returns its path
 * (TF_CLI_CONFIG_FILE).
 */
export function writeTerraformCliConfig(root: string, pluginMirror = readPlanConfig().TF_PLUGIN_MIRROR): string {
  const cliConfig = path.join(root, 'terraform.rc');
  const pluginCache = path.join(root, 'plugin-cache');
  mkdirSync(pluginCache, { recursive: true });
  writeFileSync(
    cliConfig,
    // The cache makes every stack's init link the provider instead of copying 700 MB.
    `plugin_cache_dir = "${pluginCache}"\n` +
      (existsSync(pluginMirror)
        ? `provider_installation {\n  filesystem_mirror {\n    path    = "${pluginMirror}"\n    include = ["registry.terraform.io/hashicorp/*"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/hashicorp/*"]\n  }\n}\n`
        : ''),
  );
  return cliConfig;
}

/**
 * The CI-only override: dummy credentials, no AWS calls, the stand-in for the APIs a plan calls;
 * and every stack on the same backend (local state in its own directory: the offline plan starts
 * from no resources either way), so that one `init` serves them all through one data directory.
 */
function providerOverride(region: string, standInEndpoint: string) {
  return {
    terraform: { backend: { local: {} } },
    provider: {
      aws: [
        {
          region,
          access_key: 'insightflow-offline-plan',
          secret_key: 'insightflow-offline-plan',
          skip_credentials_validation: true,
          skip_requesting_account_id: true,
          skip_metadata_api_check: true,
          skip_region_validation: true,
          endpoints: [{ sfn: standInEndpoint, ssm: standInEndpoint }],
        },
      ],
    },
  };
}

/**
 * The settings at every knob's other value: the stacks a knob changes are planned at both values.
 * (The schedules are free-form expressions: the plan's one value of each stands for all.)
 */
export function otherKnobValues(settings: EnvironmentSettings): EnvironmentSettings {
  return {
    ...settings,
    streamSource: settings.streamSource === 'direct' ? 'kinesis' : 'direct',
    recrawl: settings.recrawl === 'new-folders' ? 'everything' : 'new-folders',
  };
}

/** What the variant synth is called in the summaries: its knobs at their values. */
const variantLabel = (settings: EnvironmentSettings) =>
  `INSIGHTFLOW_STREAM_SOURCE=${settings.streamSource}, INSIGHTFLOW_RECRAWL=${settings.recrawl}`;

/** A synthesised app in its own directory, with every stack's stub state beside it. */
interface PlannedSynth {
  outdir: string;
  manifest: { stacks: Record<string, ManifestStack> };
  stackJson: (name: string) => string;
}

/** Synthesises `settings` under `root/<name>/out` and writes each stack's stub state where its consumers read it. */
function synthForPlan(root: string, name: string, settings: EnvironmentSettings, catalog: Catalog): PlannedSynth {
  const outdir = path.join(root, name, 'out');
  mkdirSync(outdir, { recursive: true });
  buildApp(settings, catalog, outdir).synth();
  // Consumers read `../../../.terraform-state/<stack>.tfstate` from their stack directory.
  const stateDir = path.join(root, name, '.terraform-state');
  mkdirSync(stateDir, { recursive: true });
  const manifest = JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as {
    stacks: Record<string, ManifestStack>;
  };
  const stackJson = (stack: string) =>
    readFileSync(path.join(outdir, (manifest.stacks[stack] as ManifestStack).workingDirectory, 'cdk.tf.json'), 'utf8');
  // Consumers plan against their producers' declared outputs, which the synth already fixed:
  // with every stub state written first, the stacks plan at once, bounded by the cores.
  for (const stack of Object.keys(manifest.stacks))
    writeFileSync(path.join(stateDir, `${stack}.tfstate`), stubState(JSON.parse(stackJson(stack))));
  return { outdir, manifest, stackJson };
}

/**
 * Synthesises and plans every stack, then the stacks the knobs' other values change; returns the
 * plan summaries by stack (a variant's as `<stack> (<knobs>)`).
 */
export async function planStacks(options: { log?: (line: string) => void } = {}): Promise<Record<string, string>> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  requireTerraform();
  const root = mkdtempSync(path.join(tmpdir(), 'insightflow-plan-'));
  // The bastion is optional in a deployment but always planned, so its stack cannot rot unseen;
  // so are the functions that read Snowflake (without Snowflake settings, example ones stand in)
  // and the account stack's CI roles (without a repository, an example one stands in).
  const stacksConfig = readPlannedStacksConfig(EXAMPLE_SNOWFLAKE_ENV);
  if (stacksConfig.examplesUsed)
    log('plan: no SNOWFLAKE_* settings; planning with example values so every function is planned');
  // The catalog the zips were built with (npm run build reads INSIGHTFLOW_CATALOG too).
  const catalog = readConfiguredCatalog();
  const read = environmentSettings(catalog, stacksConfig.config, log);
  const settings: EnvironmentSettings = {
    ...read,
    bastion: true,
    account: { ...read.account, ci: read.account.ci ?? EXAMPLE_CI },
  };
  const base = synthForPlan(root, 'synth', settings, catalog);
  const variantSettings = otherKnobValues(settings);
  const variant = synthForPlan(root, 'variant', variantSettings, catalog);
  const changed = Object.keys(variant.manifest.stacks).filter(
    (stack) => !(stack in base.manifest.stacks) || variant.stackJson(stack) !== base.stackJson(stack),
  );

  const cliConfig = writeTerraformCliConfig(root);
  const env = childEnvironment({
    TF_CLI_CONFIG_FILE: cliConfig,
    // One data directory for every stack: the provider is installed (and its 700 MB checked
    // against the lock file) once, not once per stack.
    TF_DATA_DIR: path.join(root, 'terraform-data'),
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
    AWS_ACCESS_KEY_ID: 'insightflow-offline-plan',
    AWS_SECRET_ACCESS_KEY: 'insightflow-offline-plan',
  });
  /** Every plan: its label, and the stack directory it runs in. */
  const plans = [
    ...deployOrder(base.manifest.stacks).map((name) => ({
      label: name,
      dir: path.join(base.outdir, (base.manifest.stacks[name] as ManifestStack).workingDirectory),
    })),
    ...changed.map((name) => ({
      label: `${name} (${variantLabel(variantSettings)})`,
      dir: path.join(variant.outdir, (variant.manifest.stacks[name] as ManifestStack).workingDirectory),
    })),
  ];
  const summaries: Record<string, string> = {};
  const standIn = await startPlanStandIn();
  try {
    const terraform = (label: string, dir: string, args: string[]) =>
      execFileAsync('terraform', args, { cwd: dir, env, encoding: 'utf8', maxBuffer: 64 << 20 })
        .then((r) => r.stdout)
        .catch((error: { stdout?: string; stderr?: string; message: string }) => {
          throw new Error(`terraform failed for stack ${label}:\n${error.stderr || error.stdout || error.message}`);
        });
    for (const { dir } of plans) {
      writeFileSync(
        path.join(dir, 'ci_provider_override.tf.json'),
        JSON.stringify(providerOverride(settings.region, standIn.endpoint)),
      );
    }
    // Every stack pins the same provider with the same committed lock file and, overridden, the
    // same backend: one init (readonly: a provider that does not match the lock file fails here)
    // serves every plan. Plan validates the configuration itself, so there is no `validate`.
    const [first] = plans;
    if (first) await terraform(first.label, first.dir, ['init', '-input=false', '-no-color', '-lockfile=readonly']);
    const planOne = async ({ label, dir }: { label: string; dir: string }) => {
      const plan = await terraform(label, dir, ['plan', '-input=false', '-lock=false', '-refresh=false', '-no-color']);
      summaries[label] = /Plan: .*/.exec(plan)?.[0] ?? 'No changes.';
      log(`${label.padEnd(20)} ${summaries[label]}`);
    };
    // Every plan is independent once the stub states exist: all of them at once, bounded by the
    // cores (a plan is CPU-bound: the provider's schema is loaded twice per plan).
    const queue = [...plans];
    const worker = async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) await planOne(next);
    };
    await Promise.all(Array.from({ length: availableParallelism() }, worker));
  } finally {
    standIn.close();
  }
  return summaries;
}

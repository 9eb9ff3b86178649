import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import type { Catalog } from '@insightflow/shared-config';
import { type ISynthesisSession, LocalBackend, S3Backend, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import type { EnvironmentSettings } from './config.js';

/**
 * The committed provider lock (hashicorp/aws 5.100.0 and its checksums): every stack's output
 * directory gets a copy, so `terraform init -lockfile=readonly` refuses any other provider build.
 */
export const PROVIDER_LOCK_FILE = fileURLToPath(new URL('./.terraform.lock.hcl', import.meta.url));

/** The oldest Terraform the stacks run on: S3-native state locking (`use_lockfile`) came in 1.10. */
export const REQUIRED_TERRAFORM_VERSION = '>= 1.10';

/** Props every stack takes. */
export interface InsightFlowStackProps {
  settings: EnvironmentSettings;
  /** The catalog the app is synthesised with (the one bundled into every Lambda zip). */
  catalog: Catalog;
}

/** Where a stack runs and keeps its state, and how its resources are tagged. */
export interface ProjectStackOptions {
  region: string;
  /** The S3 state bucket; local state when unset. */
  stateBucket?: string | undefined;
  /** The state object's key in the bucket. */
  stateKey: string;
  /** Tags on every resource (the provider's default tags). */
  tags: Record<string, string>;
}

/**
 * A stack of the project: a state boundary and a deploy unit. Sets the AWS provider with default
 * tags and the backend: local state by default, S3 with native locking (`use_lockfile`) when a
 * state bucket is configured. Requires Terraform ≥ 1.10 and ships the provider lock file with the
 * synthesised stack.
 */
export class ProjectStack extends TerraformStack {
  public constructor(scope: Construct, id: string, options: ProjectStackOptions) {
    super(scope, id);
    this.addOverride('terraform.required_version', REQUIRED_TERRAFORM_VERSION);
    // cdktf has no per-stack output hook, so wrap the synthesizer: whoever synthesises the app
    // (main.ts, plan-stacks, the tests) gets the lock file next to cdk.tf.json.
    const synthesizer = this.synthesizer;
    this.synthesizer = {
      synthesize: (session: ISynthesisSession) => {
        synthesizer.synthesize(session);
        const directory = session.manifest.forStack(this).workingDirectory;
        copyFileSync(PROVIDER_LOCK_FILE, path.join(session.outdir, directory, '.terraform.lock.hcl'));
      },
    };
    new AwsProvider(this, 'aws', { region: options.region, defaultTags: [{ tags: options.tags }] });
    if (options.stateBucket) {
      new S3Backend(this, {
        bucket: options.stateBucket,
        key: options.stateKey,
        region: options.region,
        encrypt: true,
      });
      // S3-native state locking (Terraform ≥ 1.10); cdktf 0.21's typed config predates it.
      this.addOverride('terraform.backend.s3.use_lockfile', true);
    } else {
      // One folder for every stack's local state: consumers read producers' state by this same
      // path (relative to each stack's directory under cdktf.out/stacks/).
      new LocalBackend(this, { path: `../../../.terraform-state/${id}.tfstate` });
    }
  }
}

/**
 * A stack of one environment: state under `insightflow/<env>/`, every resource tagged with the
 * environment and named `insightflow-<env>-<name>`.
 */
export class InsightFlowStack extends ProjectStack {
  public readonly settings: EnvironmentSettings;

  public constructor(scope: Construct, id: string, props: InsightFlowStackProps) {
    super(scope, id, {
      region: props.settings.region,
      stateBucket: props.settings.stateBucket,
      stateKey: `insightflow/${props.settings.env}/${id}.tfstate`,
      tags: { project: 'insightflow', environment: props.settings.env, stack: id },
    });
    this.settings = props.settings;
  }

  /** `insightflow-<env>-<name>`. */
  public name(name: string): string {
    return `insightflow-${this.settings.env}-${name}`;
  }
}

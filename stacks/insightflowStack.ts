import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { LocalBackend, S3Backend, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import type { EnvironmentSettings } from './config.js';

/** Props every stack takes. */
export interface InsightFlowStackProps {
  settings: EnvironmentSettings;
}

/**
 * A stack: a state boundary and a deploy unit. Sets the AWS provider with default tags and the
 * backend: local state by default, S3 with native locking (`use_lockfile`) when a state bucket is
 * configured.
 */
export class InsightFlowStack extends TerraformStack {
  public readonly settings: EnvironmentSettings;

  public constructor(scope: Construct, id: string, props: InsightFlowStackProps) {
    super(scope, id);
    this.settings = props.settings;
    new AwsProvider(this, 'aws', {
      region: props.settings.region,
      defaultTags: [{ tags: { project: 'insightflow', environment: props.settings.env, stack: id } }],
    });
    if (props.settings.stateBucket) {
      new S3Backend(this, {
        bucket: props.settings.stateBucket,
        key: `insightflow/${props.settings.env}/${id}.tfstate`,
        region: props.settings.region,
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

  /** `insightflow-<env>-<name>`. */
  public name(name: string): string {
    return `insightflow-${this.settings.env}-${name}`;
  }
}

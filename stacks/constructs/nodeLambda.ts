import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function/index.js';
import { LambdaFunctionEventInvokeConfig } from '@cdktf/provider-aws/lib/lambda-function-event-invoke-config/index.js';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue/index.js';
import { type ConfigVariable, checkVariables } from '@insightflow/shared-config';
import { AssetType, TerraformAsset, TerraformStack, Token } from 'cdktf';
import { Construct } from 'constructs';
import type { z } from 'zod';
import { LAMBDA_RUNTIME } from '../build/buildLambda.js';
import { LambdaBundleMissingError } from '../errors.js';
import { VPC_NETWORK_INTERFACE_ACTIONS } from '../iamActions.js';
import type { InsightFlowStack } from '../insightflowStack.js';
import { notifyingAlarm } from './notifyingAlarm.js';
import { type PolicyStatement, ServiceRole, serviceTrust, viaService } from './serviceRole.js';

/** A Lambda's configuration schema (shared-config's `XxxConfigSchema`). */
export type LambdaConfigSchema = z.ZodType<object>;

/** Variables a library reads itself, not our configuration: allowed in any environment. */
export const LIBRARY_VARIABLES = [
  // snowflake-sdk: its optional native addon is not in the bundle.
  'SNOWFLAKE_DISABLE_MINICORE',
  // snowflake-sdk: no cloud-platform probes (STS, metadata addresses) when it loads.
  'SNOWFLAKE_DISABLE_PLATFORM_DETECTION',
] as const;

/**
 * A Lambda's environment: only variables its configuration schema declares (a misspelled one is
 * a compile-time error, instead of a silent fall-back to the default), plus {@link LIBRARY_VARIABLES}.
 */
export type LambdaEnvironment<S extends LambdaConfigSchema> = Partial<
  Record<ConfigVariable<S> | (typeof LIBRARY_VARIABLES)[number], string>
>;

const REPOSITORY_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Props of {@link NodeLambda}. */
export interface NodeLambdaProps<S extends LambdaConfigSchema> {
  /** The workspace package under packages/ whose zip is deployed. */
  packageName: string;
  functionName: string;
  memorySize: number;
  timeout: number;
  /** The schema the handler reads its configuration with; the environment is checked against it at synth. */
  configSchema: S;
  environment: LambdaEnvironment<S>;
  /** What the function may do besides writing its own logs. */
  statements: PolicyStatement[];
  logRetentionDays: number;
  /** KMS key for the log group. */
  logKmsKeyArn: string;
  vpc?: { subnetIds: string[]; securityGroupIds: string[] };
  /** The environment's permissions boundary, which the function's role carries. */
  permissionsBoundary: string;
  /** The SNS topic the function's Errors alarm notifies. */
  alarmTopicArn: string;
  /**
   * For functions invoked asynchronously (EventBridge, S3 notifications): events that still fail
   * after Lambda's retries go to an encrypted queue (with an alarm on it) instead of nowhere.
   */
  asyncFailureQueue?: {
    kmsKeyArn: string /** Lambda's retries of a failed event before it goes to the queue (default 2). */;
    retries?: number;
  };
}

/** What every function of an environment shares (`S3BucketsStack.functionDefaults()`). */
export type EnvironmentFunctionProps = Pick<
  NodeLambdaProps<LambdaConfigSchema>,
  'logRetentionDays' | 'logKmsKeyArn' | 'alarmTopicArn' | 'permissionsBoundary'
>;

/** The zip of a Lambda package, built by `npm run build` (stacks/build/buildLambda.ts). */
export function lambdaZipPath(packageName: string): string {
  return path.join(REPOSITORY_ROOT, 'packages', packageName, 'dist', `${packageName}.zip`);
}

/**
 * A Node.js Lambda from a workspace package's deterministic zip, with its own role (logs to its
 * own log group only, plus the statements given) and an encrypted log group with retention.
 * The code hash is the zip's SHA-256, so a code change alone redeploys the function.
 */
export class NodeLambda<S extends LambdaConfigSchema = LambdaConfigSchema> extends Construct {
  public readonly function: LambdaFunction;
  public readonly role: ServiceRole;
  public readonly logGroup: CloudwatchLogGroup;
  public readonly failureQueue: SqsQueue | undefined;

  public constructor(scope: Construct, id: string, props: NodeLambdaProps<S>) {
    super(scope, id);
    const stack = TerraformStack.of(this) as InsightFlowStack;
    const environment = definedValues(props.environment);
    // Literal values are checked now; Terraform tokens (ARNs, addresses) are known only at apply.
    checkVariables(
      `${props.packageName} (stack environment of ${props.functionName})`,
      props.configSchema,
      environment,
      {
        isDeferred: (value) => Token.isUnresolved(value),
        alsoAllowed: LIBRARY_VARIABLES,
      },
    );
    const zip = lambdaZipPath(props.packageName);
    if (!existsSync(zip)) throw new LambdaBundleMissingError(zip);
    const asset = new TerraformAsset(this, 'code', { path: zip, type: AssetType.FILE });

    this.logGroup = new CloudwatchLogGroup(this, 'logs', {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.logKmsKeyArn,
    });

    if (props.asyncFailureQueue) {
      this.failureQueue = new SqsQueue(this, 'failures', {
        name: `${props.functionName}-failures`,
        kmsMasterKeyId: props.asyncFailureQueue.kmsKeyArn,
        messageRetentionSeconds: 14 * 24 * 3600,
      });
    }

    // Lambda sets neither aws:SourceAccount nor aws:SourceArn when it assumes an execution role.
    this.role = new ServiceRole(this, 'role', {
      roleName: props.functionName,
      trust: serviceTrust('lambda.amazonaws.com'),
      permissionsBoundary: props.permissionsBoundary,
      statements: [
        { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`${this.logGroup.arn}:*`] },
        // Active tracing: Lambda refuses to create the function unless its role may send traces
        // (X-Ray takes no narrower resource).
        { actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'] },
        ...(props.vpc ? [{ actions: VPC_NETWORK_INTERFACE_ACTIONS, resources: ['*'] }] : []),
        ...(this.failureQueue && props.asyncFailureQueue
          ? [
              { actions: ['sqs:SendMessage'], resources: [this.failureQueue.arn] },
              {
                actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
                resources: [props.asyncFailureQueue.kmsKeyArn],
                conditions: [viaService(stack.settings.region, 'sqs')],
              },
            ]
          : []),
        ...props.statements,
      ],
    });

    this.function = new LambdaFunction(this, 'function', {
      functionName: props.functionName,
      role: this.role.arn,
      runtime: LAMBDA_RUNTIME,
      architectures: ['arm64'],
      handler: 'index.handler',
      filename: asset.path,
      sourceCodeHash: createHash('sha256').update(readFileSync(zip)).digest('base64'),
      memorySize: props.memorySize,
      timeout: props.timeout,
      // INSIGHTFLOW_ENV labels every function's metrics (`readHandlerConfig`, lambda-handler).
      environment: {
        variables: {
          NODE_OPTIONS: '--enable-source-maps',
          INSIGHTFLOW_ENV: stack.settings.env,
          ...environment,
        },
      },
      loggingConfig: { logFormat: 'JSON', logGroup: this.logGroup.name },
      tracingConfig: { mode: 'Active' },
      ...(props.vpc ? { vpcConfig: props.vpc } : {}),
      dependsOn: [this.logGroup],
    });

    if (this.failureQueue) {
      new LambdaFunctionEventInvokeConfig(this, 'async', {
        functionName: this.function.functionName,
        maximumRetryAttempts: props.asyncFailureQueue?.retries ?? 2,
        destinationConfig: { onFailure: { destination: this.failureQueue.arn } },
      });
      notifyingAlarm(this, 'failures-alarm', {
        alarmName: `${props.functionName}-failed-events`,
        alarmDescription: `Events ${props.functionName} could not process are waiting in ${props.functionName}-failures.`,
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: this.failureQueue.name },
        statistic: 'Maximum',
        alarmTopicArn: props.alarmTopicArn,
      });
    }
    notifyingAlarm(this, 'errors-alarm', {
      alarmName: `${props.functionName}-errors`,
      alarmDescription: `${props.functionName} failed an invocation (see its log group ${this.logGroup.name}).`,
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      dimensions: { FunctionName: this.function.functionName },
      alarmTopicArn: props.alarmTopicArn,
    });
  }
}

function definedValues(environment: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environment).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/**
 * Who assumes each role of the deployment, and with what request context: the service the
 * synthesised configuration hands the role to (a function's role to Lambda, a crawler's to Glue,
 * the state machine's to Step Functions, an event target's to EventBridge, a delivery stream's to
 * Firehose, the flow log's to VPC Flow Logs, the instance profile's to EC2, the database's
 * monitoring role to RDS), with the keys each service sets when it assumes a role
 * (`aws:SourceAccount` and `aws:SourceArn` where it sets them, Firehose's external id). Judged
 * against each role's trust policy, so a condition on a key the service never sends — a role the
 * service could not assume — fails here, and so does a role no configuration hands to anyone.
 */
import { ACCOUNT_ID, type DeployedApp } from './deployedApp.js';
import type { IamRequest } from './iamRequests.js';

type Block = Record<string, unknown>;

/** The roles the CI assumes through GitHub's OIDC provider (the account stack's), judged by the workflow tests. */
const CI_ROLE = /^insightflow-(plan|apply-[a-z]+)$/;

/** Every role's sts:AssumeRole by the service that uses it; throws on a role nothing uses. */
export function trustEdges(app: DeployedApp): IamRequest[] {
  const { region } = app;
  const edges = new Map<string, IamRequest>();
  const assume = (role: unknown, service: string, context: Record<string, string> = {}) => {
    const resource = String(role);
    edges.set(resource, {
      principal: service,
      action: 'sts:AssumeRole',
      resource,
      context,
      because: `${service} assumes ${resource.split('/').pop()}`,
    });
  };
  const source = (arn: string) => ({ 'aws:SourceAccount': ACCOUNT_ID, 'aws:SourceArn': arn });
  const each = (type: string, visit: (resolved: Block, name: string, stack: DeployedApp['stacks'][number]) => void) => {
    for (const { stack, name, config } of app.resources(type)) visit(app.value(stack, config) as Block, name, stack);
  };

  // Lambda, Glue and EC2 set neither aws:SourceAccount nor aws:SourceArn.
  each('aws_lambda_function', (fn) => assume(fn.role, 'lambda.amazonaws.com'));
  each('aws_glue_crawler', (crawler) => assume(crawler.role, 'glue.amazonaws.com'));
  each('aws_iam_instance_profile', (profile) =>
    assume(`arn:aws:iam::${ACCOUNT_ID}:role/${String(profile.role)}`, 'ec2.amazonaws.com'),
  );
  each('aws_sfn_state_machine', (machine) =>
    assume(
      machine.role_arn,
      'states.amazonaws.com',
      source(`arn:aws:states:${region}:${ACCOUNT_ID}:stateMachine:${String(machine.name)}`),
    ),
  );
  each('aws_cloudwatch_event_target', (target) => {
    if (target.role_arn)
      assume(
        target.role_arn,
        'events.amazonaws.com',
        source(`arn:aws:events:${region}:${ACCOUNT_ID}:rule/${String(target.rule)}`),
      );
  });
  // Firehose passes the account id as the external id.
  each('aws_kinesis_firehose_delivery_stream', (stream) => {
    const destination = [stream.extended_s3_configuration].flat()[0] as Block;
    const kinesis = [stream.kinesis_source_configuration ?? []].flat()[0] as Block | undefined;
    for (const role of [destination.role_arn, kinesis?.role_arn].filter(Boolean))
      assume(role, 'firehose.amazonaws.com', { 'sts:ExternalId': ACCOUNT_ID });
  });
  each('aws_flow_log', (flowLog) =>
    assume(
      flowLog.iam_role_arn,
      'vpc-flow-logs.amazonaws.com',
      source(`arn:aws:ec2:${region}:${ACCOUNT_ID}:vpc-flow-log/fl-0123456789abcdef0`),
    ),
  );
  each('aws_db_instance', (db, name, stack) => {
    if (db.monitoring_role_arn)
      assume(
        db.monitoring_role_arn,
        'monitoring.rds.amazonaws.com',
        source(app.attribute(stack, 'aws_db_instance', name, 'arn') as string),
      );
  });

  const unused: string[] = [];
  each('aws_iam_role', (role) => {
    const name = String(role.name);
    const arn = `arn:aws:iam::${ACCOUNT_ID}:role/${name}`;
    // Snowflake's integration role is assumed by Snowflake's user (serviceEdges), the CI roles by GitHub's jobs.
    if (!edges.has(arn) && !name.endsWith('-snowflake-integration') && !CI_ROLE.test(name)) unused.push(name);
  });
  if (unused.length > 0) {
    throw new Error(
      `No configuration hands ${unused.join(', ')} to a service the access test knows: add who assumes it to trustEdges().`,
    );
  }
  return [...edges.values()];
}

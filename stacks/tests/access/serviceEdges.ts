/**
 * The calls AWS services make for the pipeline, which no code of ours makes: Firehose invoking
 * the transformer, writing the lake and reading its Kinesis source, the Glue crawler reading it
 * and writing the catalog and its encrypted logs, Step Functions invoking the functions, starting
 * the crawlers and using its key, EventBridge starting its targets, CloudWatch alarms publishing
 * (and encrypting with the topic's key), the Lambda runtime writing logs, traces and failed events
 * and attaching a function to the VPC, Enhanced Monitoring, the sync's `rds-db:connect`, and each
 * service assuming its role (`trustEdges.ts`). Each edge is read from the
 * synthesised configuration (the ARN Firehose is told to invoke, the state machine's tasks, the
 * event targets), so a configuration change moves the edge with it.
 */
import { BATCH_PREFIX, DEFAULT_STAGE_PREFIX } from '@insightflow/shared-config';
import { VPC_NETWORK_INTERFACE_ACTIONS } from '../../iamActions.js';
import { CATALOG_KEY_ACTIONS } from './athenaRequests.js';
import { ACCOUNT_ID, type DeployedApp } from './deployedApp.js';
import type { IamRequest } from './iamRequests.js';
import { trustEdges } from './trustEdges.js';

type Block = Record<string, unknown>;

/** A Firehose prefix with its expressions filled in as one delivery would fill them. */
function samplePrefix(prefix: string): string {
  return prefix
    .replace(/!\{timestamp:yyyy\}/g, '2026')
    .replace(/!\{timestamp:MM\}/g, '12')
    .replace(/!\{timestamp:dd\}/g, '02')
    .replace(/!\{timestamp:HHmm\}/g, '1405')
    .replace(/!\{firehose:error-output-type\}/g, 'processing-failed');
}

const secure = { 'aws:SecureTransport': 'true' };

/** Every service edge of the deployment. */
export function serviceEdges(app: DeployedApp): IamRequest[] {
  const edges: IamRequest[] = [];
  const region = app.region;
  const bucketKeys = new Map(
    app
      .resources('aws_s3_bucket_server_side_encryption_configuration')
      .map(({ stack, config }) => app.value(stack, config) as Block)
      .map((c) => [
        String(c.bucket),
        ((c.rule as Block[])[0]?.apply_server_side_encryption_by_default as Block | undefined)?.kms_master_key_id,
      ]),
  );
  const keyOfBucket = (bucket: string) => bucketKeys.get(bucket) as string | undefined;
  const kmsVia = (service: string) => ({
    'kms:ViaService': `${service}.${region}.amazonaws.com`,
    'kms:CallerAccount': ACCOUNT_ID,
  });

  for (const { stack, name, config } of app.resources('aws_kinesis_firehose_delivery_stream')) {
    const stream = app.value(stack, config) as Block;
    const s3 = stream.extended_s3_configuration as Block[] | Block as Block;
    const destination = (Array.isArray(s3) ? s3[0] : s3) as Block;
    const role = String(destination.role_arn);
    const because = `Firehose ${String(stream.name)}`;
    const bucket = String(destination.bucket_arn);
    const edge = (action: string, resource: string, context: Record<string, string> = {}, why = because) =>
      edges.push({ principal: role, action, resource, context: { ...secure, ...context }, because: why });
    for (const prefix of [destination.prefix, destination.error_output_prefix]) {
      const key = `${bucket}/${samplePrefix(String(prefix))}${String(stream.name)}-1-2026-12-02-14-05-00-uuid`;
      edge('s3:PutObject', key, {}, `${because} delivers`);
      edge('s3:AbortMultipartUpload', key, {}, `${because} delivers`);
    }
    edge('s3:GetBucketLocation', bucket);
    edge('s3:ListBucketMultipartUploads', bucket);
    if (destination.kms_key_arn) {
      edge('kms:GenerateDataKey', String(destination.kms_key_arn), {
        ...kmsVia('s3'),
        'kms:EncryptionContext:aws:s3:arn': bucket,
      });
    }
    const processing = destination.processing_configuration as Block | undefined;
    for (const processor of (processing?.processors as Block[] | undefined) ?? []) {
      for (const parameter of (processor.parameters as Block[] | undefined) ?? []) {
        if (parameter.parameter_name !== 'LambdaArn') continue;
        const arn = String(parameter.parameter_value);
        edge('lambda:InvokeFunction', arn, {}, `${because} runs its processor`);
        edge('lambda:GetFunctionConfiguration', arn, {}, `${because} runs its processor`);
      }
    }
    const logging = destination.cloudwatch_logging_options as Block | undefined;
    if (logging?.enabled) {
      edge(
        'logs:PutLogEvents',
        `arn:aws:logs:${region}:${ACCOUNT_ID}:log-group:${String(logging.log_group_name)}:log-stream:${String(logging.log_stream_name)}`,
        {},
        `${because} logs delivery errors`,
      );
    }
    void name;
  }

  const catalogKey = app
    .resources('aws_glue_data_catalog_encryption_settings')
    .map(({ stack, config }) => app.value(stack, config) as Block)
    .map((s) => (s.data_catalog_encryption_settings as Block).encryption_at_rest as Block)
    .find((rest) => rest.catalog_encryption_mode === 'SSE-KMS')?.sse_aws_kms_key_id as string | undefined;
  const securityConfigurations = new Map(
    app
      .resources('aws_glue_security_configuration')
      .map(({ stack, config }) => app.value(stack, config) as Block)
      .map((c) => [String(c.name), c]),
  );
  for (const { stack, config } of app.resources('aws_glue_crawler')) {
    const crawler = app.value(stack, config) as Block;
    const role = String(crawler.role);
    const roleName = role.split('/').pop();
    const because = `Glue crawler ${String(crawler.name)}`;
    const edge = (action: string, resource: string, context: Record<string, string> = {}) =>
      edges.push({ principal: role, action, resource, context: { ...secure, ...context }, because });
    for (const target of (crawler.s3_target as Block[] | undefined) ?? []) {
      const [bucket, ...prefixParts] = String(target.path)
        .replace(/^s3:\/\//, '')
        .split('/');
      const prefix = prefixParts.join('/');
      edge('s3:ListBucket', `arn:aws:s3:::${bucket}`, { 's3:prefix': prefix });
      edge('s3:GetObject', `arn:aws:s3:::${bucket}/${prefix}year=2026/month=12/day=02/hhmm=1400/part.csv`);
      // The lake's objects are SSE-KMS: S3 decrypts them with the crawler's permission.
      const key = keyOfBucket(String(bucket));
      if (key)
        edge('kms:Decrypt', key, { ...kmsVia('s3'), 'kms:EncryptionContext:aws:s3:arn': `arn:aws:s3:::${bucket}` });
    }
    const database = String(crawler.database_name);
    const catalog = `arn:aws:glue:${region}:${ACCOUNT_ID}:catalog`;
    const db = `arn:aws:glue:${region}:${ACCOUNT_ID}:database/${database}`;
    const table = `arn:aws:glue:${region}:${ACCOUNT_ID}:table/${database}/${String(crawler.table_prefix ?? '')}orders`;
    for (const action of [
      'glue:GetDatabase',
      'glue:GetTable',
      'glue:CreateTable',
      'glue:UpdateTable',
      'glue:BatchCreatePartition',
      'glue:GetPartitions',
      'glue:BatchGetPartition',
      'glue:UpdatePartition',
    ]) {
      for (const resource of action === 'glue:GetDatabase' ? [catalog, db] : [catalog, db, table])
        edge(action, resource);
    }
    if (catalogKey) {
      for (const action of CATALOG_KEY_ACTIONS) edge(action, catalogKey, kmsVia('glue'));
    }
    const security = securityConfigurations.get(String(crawler.security_configuration));
    const logGroup = security
      ? `/aws-glue/crawlers-role/${roleName}-${String(crawler.security_configuration)}`
      : '/aws-glue/crawlers';
    const logGroupArn = `arn:aws:logs:${region}:${ACCOUNT_ID}:log-group:${logGroup}`;
    edge('logs:CreateLogGroup', logGroupArn);
    edge('logs:CreateLogStream', `${logGroupArn}:log-stream:${String(crawler.name)}`);
    edge('logs:PutLogEvents', `${logGroupArn}:log-stream:${String(crawler.name)}`);
    if (security) edge('logs:AssociateKmsKey', logGroupArn);
  }

  for (const { stack, config } of app.resources('aws_sfn_state_machine')) {
    const machine = app.value(stack, config) as Block;
    const role = String(machine.role_arn);
    const because = `State machine ${String(machine.name)}`;
    const visit = (states: Record<string, Block>) => {
      for (const state of Object.values(states)) {
        const parameters = (state.Parameters ?? {}) as Block;
        if (state.Resource === 'arn:aws:states:::lambda:invoke') {
          edges.push({
            principal: role,
            action: 'lambda:InvokeFunction',
            resource: String(parameters.FunctionName),
            context: {},
            because,
          });
        }
        if (state.Resource === 'arn:aws:states:::aws-sdk:glue:startCrawler') {
          edges.push({
            principal: role,
            action: 'glue:StartCrawler',
            resource: `arn:aws:glue:${region}:${ACCOUNT_ID}:crawler/${String(parameters.Name)}`,
            context: {},
            because,
          });
        }
        if (state.ItemProcessor) visit((state.ItemProcessor as Block).States as Record<string, Block>);
        for (const branch of (state.Branches as Block[] | undefined) ?? [])
          visit(branch.States as Record<string, Block>);
      }
    };
    visit(JSON.parse(String(machine.definition)).States);
    if ((machine.tracing_configuration as Block | undefined)?.enabled) {
      edges.push({ principal: role, action: 'xray:PutTraceSegments', resource: '*', context: {}, because });
    }
  }

  for (const { stack, config } of app.resources('aws_cloudwatch_event_target')) {
    const target = app.value(stack, config) as Block;
    const rule = `arn:aws:events:${region}:${ACCOUNT_ID}:rule/${String(target.rule)}`;
    const arn = String(target.arn);
    const because = `EventBridge rule ${String(target.rule)}`;
    const source = { 'aws:SourceArn': rule, 'aws:SourceAccount': ACCOUNT_ID };
    if (arn.includes(':states:')) {
      edges.push({
        principal: String(target.role_arn),
        action: 'states:StartExecution',
        resource: arn,
        context: {},
        because,
      });
    } else if (arn.includes(':lambda:')) {
      edges.push({
        principal: 'events.amazonaws.com',
        action: 'lambda:InvokeFunction',
        resource: arn,
        context: source,
        because,
      });
    } else if (arn.includes(':sns:')) {
      edges.push({
        principal: 'events.amazonaws.com',
        action: 'sns:Publish',
        resource: arn,
        context: { ...secure, ...source },
        because,
      });
    } else {
      throw new Error(`The access test does not model EventBridge targets like ${arn}: add it to serviceEdges()`);
    }
  }

  for (const { stack, config } of app.resources('aws_s3_bucket_notification')) {
    const notification = app.value(stack, config) as Block;
    const bucketArn = `arn:aws:s3:::${String(notification.bucket)}`;
    for (const target of (notification.lambda_function as Block[] | undefined) ?? []) {
      edges.push({
        principal: 's3.amazonaws.com',
        action: 'lambda:InvokeFunction',
        resource: String(target.lambda_function_arn),
        context: { 'aws:SourceArn': bucketArn, 'aws:SourceAccount': ACCOUNT_ID },
        because: `S3 notifications of ${String(notification.bucket)}`,
      });
    }
  }

  for (const { stack, config } of app.resources('aws_cloudwatch_metric_alarm')) {
    const alarm = app.value(stack, config) as Block;
    const alarmArn = `arn:aws:cloudwatch:${region}:${ACCOUNT_ID}:alarm:${String(alarm.alarm_name)}`;
    for (const action of (alarm.alarm_actions as string[] | undefined) ?? []) {
      edges.push({
        principal: 'cloudwatch.amazonaws.com',
        action: 'sns:Publish',
        resource: action,
        context: { ...secure, 'aws:SourceArn': alarmArn, 'aws:SourceAccount': ACCOUNT_ID },
        because: `Alarm ${String(alarm.alarm_name)}`,
      });
    }
  }

  // Snowflake's storage integration: its IAM user assumes our role (with the external id), reads
  // the staged source files and writes unloads into the raw bucket's batch runs.
  const bucketNamed = (suffix: string) =>
    app
      .resources('aws_s3_bucket')
      .map(({ stack, config }) => String(app.value(stack, config.bucket)))
      .find((name) => name.endsWith(suffix));
  for (const { stack, name, config } of app.resources('aws_iam_role')) {
    const roleName = String(app.value(stack, config.name));
    if (!roleName.endsWith('-snowflake-integration')) continue;
    const role = app.attribute(stack, 'aws_iam_role', name, 'arn') as string;
    const trust = JSON.parse(String(app.value(stack, config.assume_role_policy))) as {
      Statement: { Principal: { AWS: string[] }; Condition: { StringEquals: Record<string, string[]> } }[];
    };
    const trusted = trust.Statement[0];
    const because = 'Snowflake storage integration';
    edges.push({
      principal: String(trusted?.Principal.AWS[0]),
      action: 'sts:AssumeRole',
      resource: role,
      context: { 'sts:ExternalId': String(trusted?.Condition.StringEquals['sts:ExternalId']?.[0]) },
      because,
    });
    const stageBucket = bucketNamed('-stage');
    const rawBucket = bucketNamed('-raw-bucket');
    const keyArn = keyOfBucket(String(rawBucket));
    const edge = (action: string, resource: string, context: Record<string, string> = {}) =>
      edges.push({ principal: role, action, resource, context: { ...secure, ...context }, because });
    edge('s3:ListBucket', `arn:aws:s3:::${stageBucket}`, { 's3:prefix': `${DEFAULT_STAGE_PREFIX}aisles.csv` });
    edge('s3:GetObject', `arn:aws:s3:::${stageBucket}/${DEFAULT_STAGE_PREFIX}aisles.csv`);
    const unload = `${BATCH_PREFIX}orders/year=2026/month=12/day=02/hhmm=1400/_unload/`;
    edge('s3:ListBucket', `arn:aws:s3:::${rawBucket}`, { 's3:prefix': unload });
    edge('s3:PutObject', `arn:aws:s3:::${rawBucket}/${unload}part_0_0_0.csv.gz`);
    if (keyArn) {
      edge('kms:Decrypt', keyArn, {
        ...kmsVia('s3'),
        'kms:EncryptionContext:aws:s3:arn': `arn:aws:s3:::${stageBucket}`,
      });
      edge('kms:GenerateDataKey', keyArn, {
        ...kmsVia('s3'),
        'kms:EncryptionContext:aws:s3:arn': `arn:aws:s3:::${rawBucket}`,
      });
    }
  }

  const database = app.resources('aws_db_instance')[0];
  for (const { stack, config } of app.resources('aws_lambda_function')) {
    const fn = app.value(stack, config) as Block;
    const role = String(fn.role);
    const because = `Lambda runtime of ${String(fn.function_name)}`;
    const logGroup = String(
      (fn.logging_config as Block | undefined)?.log_group ?? `/aws/lambda/${String(fn.function_name)}`,
    );
    const stream = `arn:aws:logs:${region}:${ACCOUNT_ID}:log-group:${logGroup}:log-stream:2026/12/02/[$LATEST]abc`;
    edges.push({ principal: role, action: 'logs:CreateLogStream', resource: stream, context: {}, because });
    edges.push({ principal: role, action: 'logs:PutLogEvents', resource: stream, context: {}, because });
    if ((fn.tracing_config as Block | undefined)?.mode === 'Active') {
      edges.push({ principal: role, action: 'xray:PutTraceSegments', resource: '*', context: {}, because });
      edges.push({ principal: role, action: 'xray:PutTelemetryRecords', resource: '*', context: {}, because });
    }
    const deadLetter = (fn.dead_letter_config as Block | undefined)?.target_arn;
    if (deadLetter) {
      edges.push({
        principal: role,
        action: deadLetter.toString().includes(':sns:') ? 'sns:Publish' : 'sqs:SendMessage',
        resource: String(deadLetter),
        context: secure,
        because: `${because}: failed async events`,
      });
    }
    const variables = ((fn.environment as Block | undefined)?.variables ?? {}) as Record<string, string>;
    if (variables.DB_USER && database) {
      const resourceId = app.attribute(database.stack, 'aws_db_instance', database.name, 'resource_id');
      edges.push({
        principal: role,
        action: 'rds-db:connect',
        resource: `arn:aws:rds-db:${region}:${ACCOUNT_ID}:dbuser:${String(resourceId)}/${variables.DB_USER}`,
        context: {},
        because: `${String(fn.function_name)} connects to PostgreSQL as ${variables.DB_USER} by IAM token`,
      });
    }
  }
  for (const { stack, config } of app.resources('aws_lambda_function_event_invoke_config')) {
    const invoke = app.value(stack, config) as Block;
    const fn = app
      .resources('aws_lambda_function')
      .find((f) => app.value(f.stack, f.config.function_name) === invoke.function_name);
    const destination = ((invoke.destination_config as Block | undefined)?.on_failure as Block | undefined)
      ?.destination;
    if (!fn || !destination) continue;
    const role = String(app.value(fn.stack, fn.config.role));
    const because = `Lambda ${String(invoke.function_name)} on-failure destination`;
    edges.push({
      principal: role,
      action: String(destination).includes(':sns:') ? 'sns:Publish' : 'sqs:SendMessage',
      resource: String(destination),
      context: secure,
      because,
    });
    // An encrypted queue takes a message only from a sender that may use its key.
    const queue = app
      .resources('aws_sqs_queue')
      .find((q) => app.attribute(q.stack, 'aws_sqs_queue', q.name, 'arn') === destination);
    const queueKey = queue ? app.value(queue.stack, queue.config.kms_master_key_id) : undefined;
    if (typeof queueKey === 'string') {
      for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
        edges.push({
          principal: role,
          action,
          resource: queueKey,
          context: kmsVia('sqs'),
          because: `${because} (SSE-KMS queue)`,
        });
      }
    }
  }
  edges.push(...runtimeEdges(app), ...trustEdges(app));
  return edges;
}

/**
 * What services do with the roles and keys beyond the calls above: Lambda's network interfaces
 * for a function in the VPC, Step Functions' and EventBridge's use of the state machine's key,
 * Enhanced Monitoring's writes, Firehose reading its Kinesis source, and CloudWatch and
 * EventBridge encrypting what they publish to the alarm topic.
 */
function runtimeEdges(app: DeployedApp): IamRequest[] {
  const edges: IamRequest[] = [];
  const { region } = app;
  const kmsVia = (service: string) => ({
    'kms:ViaService': `${service}.${region}.amazonaws.com`,
    'kms:CallerAccount': ACCOUNT_ID,
  });
  const push = (principal: string, action: string, resource: string, because: string, context = {}) =>
    edges.push({ principal, action, resource, context: { ...secure, ...context }, because });

  for (const { stack, config } of app.resources('aws_lambda_function')) {
    const fn = app.value(stack, config) as Block;
    if (!fn.vpc_config) continue;
    const because = `Lambda attaches ${String(fn.function_name)} to the VPC`;
    const ec2 = (resource: string) => `arn:aws:ec2:${region}:${ACCOUNT_ID}:${resource}`;
    // Each action on the resources EC2 authorises it on (the Describe ones take none).
    const on: Record<string, string[]> = {
      'ec2:CreateNetworkInterface': [
        ec2('network-interface/eni-0123456789abcdef0'),
        ec2('subnet/subnet-0123456789abcdef0'),
        ec2('security-group/sg-0123456789abcdef0'),
      ],
      'ec2:DeleteNetworkInterface': [ec2('network-interface/eni-0123456789abcdef0')],
      'ec2:AssignPrivateIpAddresses': [ec2('network-interface/eni-0123456789abcdef0')],
      'ec2:UnassignPrivateIpAddresses': [ec2('network-interface/eni-0123456789abcdef0')],
    };
    for (const action of VPC_NETWORK_INTERFACE_ACTIONS)
      for (const resource of on[action] ?? ['*']) push(String(fn.role), action, resource, because);
  }

  const eventRoles = app
    .resources('aws_cloudwatch_event_target')
    .map(({ stack, config }) => app.value(stack, config) as Block)
    .filter((t) => t.role_arn && String(t.arn).includes(':states:'));
  for (const { stack, config } of app.resources('aws_sfn_state_machine')) {
    const machine = app.value(stack, config) as Block;
    const encryption = machine.encryption_configuration as Block | undefined;
    if (encryption?.type !== 'CUSTOMER_MANAGED_KMS_KEY') continue;
    const machineArn = `arn:aws:states:${region}:${ACCOUNT_ID}:stateMachine:${String(machine.name)}`;
    const context = { ...kmsVia('states'), 'kms:EncryptionContext:aws:states:stateMachineArn': machineArn };
    const key = String(encryption.kms_key_id);
    for (const action of ['kms:Decrypt', 'kms:GenerateDataKey'])
      push(String(machine.role_arn), action, key, `State machine ${String(machine.name)} (encrypted)`, context);
    for (const target of eventRoles.filter((t) => t.arn === machineArn))
      push(String(target.role_arn), 'kms:GenerateDataKey', key, `EventBridge starts ${String(machine.name)}`, context);
  }

  for (const { stack, config } of app.resources('aws_db_instance')) {
    const db = app.value(stack, config) as Block;
    if (!db.monitoring_role_arn) continue;
    const group = `arn:aws:logs:${region}:${ACCOUNT_ID}:log-group:RDSOSMetrics`;
    const because = `Enhanced Monitoring of ${String(db.identifier)}`;
    push(String(db.monitoring_role_arn), 'logs:CreateLogGroup', group, because);
    for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'])
      push(String(db.monitoring_role_arn), action, `${group}:log-stream:db-ABCDEFGHIJKLMNOPQRSTUVWXYZ`, because);
  }

  for (const { stack, config } of app.resources('aws_kinesis_firehose_delivery_stream')) {
    const stream = app.value(stack, config) as Block;
    const source = [stream.kinesis_source_configuration ?? []].flat()[0] as Block | undefined;
    if (!source) continue;
    const dataStream = String(source.kinesis_stream_arn);
    const because = `Firehose ${String(stream.name)} reads its Kinesis source`;
    for (const action of [
      'kinesis:DescribeStream',
      'kinesis:GetShardIterator',
      'kinesis:GetRecords',
      'kinesis:ListShards',
    ])
      push(String(source.role_arn), action, dataStream, because);
    const streamKey = app
      .resources('aws_kinesis_stream')
      .map(({ stack: s, name, config: c }) => ({
        arn: app.attribute(s, 'aws_kinesis_stream', name, 'arn'),
        key: app.value(s, c.kms_key_id),
      }))
      .find((k) => k.arn === dataStream)?.key;
    if (typeof streamKey === 'string')
      push(String(source.role_arn), 'kms:Decrypt', streamKey, `${because} (encrypted)`, {
        ...kmsVia('kinesis'),
        'kms:EncryptionContext:aws:kinesis:arn': dataStream,
      });
  }

  // SNS encrypts a message with its publisher's permission on the topic's key.
  const topicKeys = new Map(
    app
      .resources('aws_sns_topic')
      .map(({ stack, name, config }) => [
        app.attribute(stack, 'aws_sns_topic', name, 'arn') as string,
        app.value(stack, config.kms_master_key_id),
      ]),
  );
  const published = [
    ...app.resources('aws_cloudwatch_metric_alarm').flatMap(({ stack, config }) =>
      ((app.value(stack, config.alarm_actions) as string[] | undefined) ?? []).map((topic) => ({
        topic,
        service: 'cloudwatch.amazonaws.com',
      })),
    ),
    ...app
      .resources('aws_cloudwatch_event_target')
      .map(({ stack, config }) => String(app.value(stack, config.arn)))
      .filter((arn) => arn.includes(':sns:'))
      .map((topic) => ({ topic, service: 'events.amazonaws.com' })),
  ];
  for (const { topic, service } of new Map(published.map((p) => [`${p.service} ${p.topic}`, p])).values()) {
    const key = topicKeys.get(topic);
    if (typeof key !== 'string') continue;
    for (const action of ['kms:GenerateDataKey', 'kms:Decrypt'])
      push(
        service,
        action,
        key,
        `${service} publishes to the encrypted topic ${topic.split(':').pop()}`,
        kmsVia('sns'),
      );
  }
  return edges;
}

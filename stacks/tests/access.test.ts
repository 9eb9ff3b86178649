/**
 * The deployed permissions, proven from the code's own calls.
 *
 * Every Lambda of the synthesised app runs its real handler, with the environment the stack
 * gives it, against the local stand-ins (S3 API server, PostgreSQL, the Snowflake-protocol
 * server, a Secrets Manager stand-in, the local Firehose). Every AWS request the code makes is
 * recorded by a middleware on the SDK clients, mapped to the IAM authorisations it needs, and
 * judged by a maintained IAM evaluator (@cloud-copilot/iam-simulate) against that function's
 * synthesised role policies and the resource's own policy. The service-to-service edges no
 * code of ours makes (Firehose, Glue, Step Functions, EventBridge, alarms, the Lambda runtime,
 * rds-db:connect) are read from the synthesised configuration and judged the same way. Each
 * allowed edge must be denied on a copy of the policies without the statements that allowed it.
 */
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { type LocalDeliveryStream, startLocalDeliveryStream } from '@insightflow/local-services';
import { S3ObjectStore } from '@insightflow/object-store';
import { instacartCatalog, sqlType } from '@insightflow/shared-config';
import {
  type SecretsManagerStandIn,
  type SnowflakeTestServer,
  startSecretsManagerStandIn,
  startSnowflakeTestServer,
  startTestKinesis,
  startTestServices,
  type TestKinesis,
  type TestServices,
} from '@insightflow/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { streamTarget, transformFirehoseEvent } from '../../packages/stream-transformer/src/index.js';
import { type AthenaGlueStandIn, glueTableFromTerraform, startAthenaGlueStandIn } from './access/athenaGlueStandIn.js';
import {
  type AwsRequestRecorder,
  installAwsRequestRecorder,
  type RecordedRequest,
} from './access/awsRequestRecorder.js';
import { DeployedApp } from './access/deployedApp.js';
import {
  type AccessDecision,
  decide,
  deployedPolicies,
  withoutBounds,
  withoutGrants,
  withRoleStatements,
} from './access/deployedPermissions.js';
import { deploymentFacts, type IamRequest, iamRequestsFor } from './access/iamRequests.js';
import { serviceEdges } from './access/serviceEdges.js';
import { EXAMPLE_SNOWFLAKE_ENV, synth } from './helpers/synth.js';

/** The catalog the stacks under test are synthesised with. */
const catalog = instacartCatalog();

type Handler = (event: unknown, context?: unknown) => Promise<unknown>;

/** A deployed function: its name, the package whose zip it runs, its role and environment. */
interface DeployedFunction {
  functionName: string;
  packageName: string;
  roleArn: string;
  environment: Record<string, string>;
}

/** Each deployable package's real handler (literal imports: the bundler's entry points). */
const HANDLERS: Record<string, () => Promise<{ handler: Handler }>> = {
  'batch-ingest': () => import('../../packages/batch-ingest/src/handler.js') as Promise<{ handler: Handler }>,
  'clean-layer': () => import('../../packages/clean-layer/src/handler.js') as Promise<{ handler: Handler }>,
  'stream-publisher': () => import('../../packages/stream-publisher/src/handler.js') as Promise<{ handler: Handler }>,
  'stream-transformer': () =>
    import('../../packages/stream-transformer/src/handler.js') as Promise<{ handler: Handler }>,
  's3-to-rds-sync': () => import('../../packages/s3-to-rds-sync/src/handler.js') as Promise<{ handler: Handler }>,
  'database-roles': () => import('../../packages/database-roles/src/handler.js') as Promise<{ handler: Handler }>,
  'snowflake-loader': () => import('../../packages/snowflake-loader/src/handler.js') as Promise<{ handler: Handler }>,
};

const lambdaContext = (functionName: string) => ({
  functionName,
  awsRequestId: 'access-test',
  getRemainingTimeInMillis: () => 600_000,
});

/** A deployment's functions, each with the package whose handler it runs. */
function deployedFunctions(deployedApp: DeployedApp): DeployedFunction[] {
  return deployedApp.resources('aws_lambda_function').map(({ stack, config }) => {
    const resolved = deployedApp.value(stack, config) as {
      function_name: string;
      role: string;
      environment?: { variables: Record<string, string> };
    };
    const name = resolved.function_name.replace(/^insightflow-(dev|prod)-/, '');
    return {
      functionName: resolved.function_name,
      // A function is named after its package, with a suffix where one package runs several times
      // (the stream-transformer, once per catalog stream).
      packageName:
        Object.keys(HANDLERS)
          .sort((a, b) => b.length - a.length)
          .find((p) => name === p || name.startsWith(`${p}-`)) ?? name,
      roleArn: resolved.role,
      environment: resolved.environment?.variables ?? {},
    };
  });
}

const FULL_SETTINGS = { ...EXAMPLE_SNOWFLAKE_ENV, INSIGHTFLOW_BASTION: 'true' };
/** One `insightflow-<env>-` deployment, full settings: every function that can be deployed is. */
const app = new DeployedApp(synth(FULL_SETTINGS).stacks);
const policies = deployedPolicies(app);
const functions = deployedFunctions(app);
/** The same deployment with INSIGHTFLOW_STREAM_SOURCE=kinesis: a data stream in front of each delivery stream. */
const kinesisApp = new DeployedApp(synth({ ...FULL_SETTINGS, INSIGHTFLOW_STREAM_SOURCE: 'kinesis' }).stacks);
const kinesisPolicies = deployedPolicies(kinesisApp);
const deployed = (packageName: string, among = functions): DeployedFunction => {
  const fn = among.find((f) => f.packageName === packageName);
  if (!fn) throw new Error(`No deployed function runs ${packageName}`);
  return fn;
};

describe('Access: every call the code makes, and every service edge, is allowed by the deployed policies', () => {
  let services: TestServices;
  let snowflake: SnowflakeTestServer;
  let secrets: SecretsManagerStandIn;
  let recorder: AwsRequestRecorder;
  let delivery: LocalDeliveryStream;
  let athena: AthenaGlueStandIn;
  let kinesis: TestKinesis;
  /** What the publisher did in kinesis mode: judged against the kinesis deployment, not the direct one. */
  let kinesisRequests: RecordedRequest[] = [];
  const ran = new Set<string>();

  /** Runs a function's real handler with its deployed environment plus local endpoints only. */
  async function runHandler(fn: DeployedFunction, event: unknown, localEndpoints: Record<string, string> = {}) {
    vi.resetModules();
    vi.unstubAllEnvs();
    const environment = {
      ...fn.environment,
      AWS_ACCESS_KEY_ID: services.services.s3Credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: services.services.s3Credentials.secretAccessKey,
      AWS_REGION: app.region,
      S3_ENDPOINT: services.services.s3Endpoint,
      SNOWFLAKE_ACCESS_URL: snowflake.accessUrl,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      ...localEndpoints,
    };
    for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
    const load = HANDLERS[fn.packageName];
    if (!load)
      throw new Error(`${fn.functionName} runs ${fn.packageName}, whose handler the access test does not know`);
    const { handler } = await load();
    ran.add(fn.functionName);
    return recorder.attribute(fn.roleArn, () => handler(event, lambdaContext(fn.functionName)));
  }

  beforeAll(async () => {
    recorder = installAwsRequestRecorder();
    services = await startTestServices();
    const rawBucket = deployed('s3-to-rds-sync').environment.RAW_BUCKET as string;
    await services.s3.send(new CreateBucketCommand({ Bucket: rawBucket }));
    snowflake = await startSnowflakeTestServer();
    for (const table of catalog.tableNames()) {
      const spec = catalog.table(table);
      await snowflake.duckdb.run(
        `CREATE TABLE ${table} (${spec.columns.map((c) => `${c.name} ${sqlType(c, 'duckdb')}`).join(', ')})`,
      );
    }
    await snowflake.duckdb.run(`INSERT INTO aisles VALUES (1, 'fresh "herbs", and more'), (2, NULL)`);
    await snowflake.duckdb.run(
      `INSERT INTO orders VALUES (7, 3, 'prior', 1, 2, 10, NULL), (8, 3, 'train', 2, 3, 11, 7)`,
    );
    const secretArn = deployed('batch-ingest').environment.SNOWFLAKE_SECRET_ARN as string;
    const master = new URL(services.databaseUrl);
    secrets = await startSecretsManagerStandIn({
      [secretArn]: JSON.stringify({ password: 'access-test-only' }),
      [deployed('database-roles').environment.MASTER_SECRET_ARN as string]: JSON.stringify({
        username: decodeURIComponent(master.username),
        password: decodeURIComponent(master.password),
      }),
    });
    const deliveryS3 = services.s3;
    recorder.ignore(deliveryS3);
    // Athena and Glue have no local server: a stand-in holds the declared clean tables as Glue
    // would, and succeeds every query; what each query reads and writes is judged from its SQL.
    const clean = deployed('clean-layer').environment;
    await services.s3.send(new CreateBucketCommand({ Bucket: clean.CLEAN_BUCKET }));
    const workgroup = app.resources('aws_athena_workgroup').map(({ stack, config }) => app.value(stack, config))[0] as {
      configuration: { result_configuration: { output_location: string } };
    };
    kinesis = await startTestKinesis();
    await kinesis.createStream(
      deployed('stream-publisher', deployedFunctions(kinesisApp)).environment.KINESIS_STREAM_NAME as string,
    );
    athena = await startAthenaGlueStandIn({
      databases: [clean.CLEAN_DATABASE as string, clean.CLEAN_SCRATCH_DATABASE as string],
      tables: app
        .resources('aws_glue_catalog_table')
        .map(({ stack, config }) => glueTableFromTerraform(app.value(stack, config) as Record<string, unknown>)),
      outputLocation: workgroup.configuration.result_configuration.output_location,
    });
    // The local Firehose runs the transformation in-process; the transformer functions' own
    // handlers run below, each with its deployed environment.
    const { table } = streamTarget(catalog, 'orders');
    delivery = await startLocalDeliveryStream({
      stream: 'orders',
      catalog,
      streamName: deployed('stream-publisher').environment.DELIVERY_STREAM_NAME as string,
      store: new S3ObjectStore(deliveryS3, rawBucket),
      transform: (event) => transformFirehoseEvent(table, event),
      bufferMs: 100,
      region: app.region,
    });
  });

  afterAll(async () => {
    recorder?.uninstall();
    vi.unstubAllEnvs();
    await delivery?.stop();
    await kinesis?.stop();
    await athena?.stop();
    await secrets?.stop();
    await snowflake?.stop();
    await services?.stop();
  });

  const decisions: { request: IamRequest; decision: AccessDecision }[] = [];

  it('runs every deployed function\u2019s handler against the local services', async () => {
    const runAt = '2026-12-02T14:00:00Z';
    await runHandler(deployed('batch-ingest'), { table: 'aisles', runAt });
    await runHandler(deployed('batch-ingest'), { table: 'orders', runAt });
    // Unload mode: Snowflake writes the files itself (through the storage integration: an edge
    // below). DuckDB cannot write a stage, so the COPY's answer is canned and the file it
    // reports is put where Snowflake would put it; the handler's own calls are real.
    const unloaded = 'data/batch/departments/year=2026/month=12/day=02/hhmm=1400/_unload/part_0_0_0.csv';
    const csv = 'department_id,department\n1,frozen\n';
    const writeUnloadedFile = async () => {
      await services.s3.send(
        new PutObjectCommand({ Bucket: deployed('batch-ingest').environment.RAW_BUCKET, Key: unloaded, Body: csv }),
      );
    };
    snowflake.answer(
      /^COPY INTO @insightflow_raw_stage\/data\/batch\/departments\//i,
      {
        columns: [
          { name: 'FILE_NAME', type: 'text' },
          { name: 'FILE_SIZE', type: 'fixed' },
          { name: 'ROW_COUNT', type: 'fixed' },
        ],
        rows: [[unloaded, String(csv.length), '1']],
      },
      writeUnloadedFile,
    );
    await runHandler(deployed('batch-ingest'), { table: 'departments', runAt, mode: 'unload' });
    // The loader, as S3 invokes it for a new staged file. Snowflake reads the staged files itself
    // (through the storage integration: an edge below); DuckDB cannot, so the COPY answers are
    // canned, and the handler's own calls are what the test records.
    const done = { columns: [{ name: 'status', type: 'text' as const }], rows: [['ok']] };
    // The loader reads the information schema first (to evolve the tables): an empty schema.
    snowflake.answer(/INFORMATION_SCHEMA\.COLUMNS/, {
      columns: ['TABLE_NAME', 'COLUMN_NAME', 'DATA_TYPE', 'IS_NULLABLE'].map((name) => ({
        name,
        type: 'text' as const,
      })),
      rows: [],
    });
    snowflake.answer(/^SHOW PRIMARY KEYS/i, {
      columns: [
        { name: 'table_name', type: 'text' },
        { name: 'column_name', type: 'text' },
        { name: 'key_sequence', type: 'fixed' },
      ],
      rows: [],
    });
    snowflake.answer(/^CREATE TABLE IF NOT EXISTS/i, done);
    snowflake.answer(/^CREATE STAGE IF NOT EXISTS/i, done);
    snowflake.answer(/^COPY INTO /i, {
      columns: [{ name: 'status', type: 'text' }],
      rows: [['Copy executed with 0 files processed.']],
    });
    await runHandler(deployed('snowflake-loader'), {
      Records: [{ eventSource: 'aws:s3', s3: { bucket: { name: 'stage' }, object: { key: 'instacart/aisles.csv' } } }],
    });
    // A rerun of a committed table finds its manifest and writes nothing.
    await runHandler(deployed('batch-ingest'), { table: 'aisles', runAt });
    // The first burst finds no watermark yet (a HEAD answering 404), the second reads it.
    await runHandler(deployed('stream-publisher'), { events: 25 }, { FIREHOSE_ENDPOINT: delivery.endpoint });
    await runHandler(deployed('stream-publisher'), { events: 5 }, { FIREHOSE_ENDPOINT: delivery.endpoint });
    await delivery.flush();
    // The publisher of the kinesis deployment: PutRecords to its data stream (kinesalite), the
    // watermark continued. Its requests are judged against that deployment's policies.
    const first = recorder.requests.length;
    const kinesisPublisher = deployed('stream-publisher', deployedFunctions(kinesisApp));
    expect(kinesisPublisher.environment).toMatchObject({ INSIGHTFLOW_STREAM_SOURCE: 'kinesis' });
    expect(kinesisPublisher.environment.DELIVERY_STREAM_NAME).toBeUndefined();
    await runHandler(kinesisPublisher, { events: 5 }, { KINESIS_ENDPOINT: kinesis.endpoint });
    kinesisRequests = recorder.requests.splice(first);
    expect(kinesisRequests.map((r) => `${r.service}:${r.operation}`)).toContain('Kinesis:PutRecords');
    for (const transformer of functions.filter((f) => f.packageName === 'stream-transformer')) {
      await runHandler(transformer, {
        invocationId: 'i',
        deliveryStreamArn: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/x',
        region: app.region,
        records: [],
      });
    }
    const database = new URL(services.databaseUrl);
    database.username = '';
    database.password = '';
    // Creates the sync's role before the sync runs, as the deployment does.
    await runHandler(deployed('database-roles'), {}, { DATABASE_URL: database.toString() });
    await runHandler(deployed('s3-to-rds-sync'), {}, { DATABASE_URL: services.databaseUrl });
    // The clean layer, as the pipeline runs it after ingest: Athena writes an UNLOAD's Parquet
    // itself (judged from the SQL below), so the stand-in's side effect puts a file where the
    // UNLOAD would, and the second build finds the first one's version to replace and delete.
    athena.answer(/^\s*UNLOAD\b/i, { columns: [], rows: [] }, async (sql) => {
      const target = /\)\s*TO\s+'s3:\/\/([^/']+)\/([^']*)'/i.exec(sql);
      if (!target) throw new Error(`The stand-in cannot find the UNLOAD target in ${sql}`);
      await services.s3.send(
        new PutObjectCommand({ Bucket: target[1], Key: `${target[2]}part-00000.parquet`, Body: 'PAR1' }),
      );
    });
    // The build counts its rows and rejects with one SELECT; the stand-in answers it with a row.
    athena.answer(/AS "rows"/, { columns: ['rows', 'rejects'], rows: [['3', '0']] });
    const athenaEndpoints = { AWS_ENDPOINT_URL_ATHENA: athena.endpoint, AWS_ENDPOINT_URL_GLUE: athena.endpoint };
    await runHandler(deployed('clean-layer'), { tables: ['aisles', 'orders'] }, athenaEndpoints);
    await runHandler(deployed('clean-layer'), { tables: ['aisles', 'orders'] }, athenaEndpoints);
    expect(athena.queries.map((q) => q.workGroup)).not.toContain(undefined);
    for (const fn of functions.filter((f) => !ran.has(f.functionName))) {
      throw new Error(`${fn.functionName} is deployed but the access test does not run its handler: add it here`);
    }
    expect(recorder.requests.length).toBeGreaterThan(10);
  });

  it('allows every recorded call and every service edge, and denies each on a copy without its grant', async () => {
    expect(ran.size).toBe(functions.length);
    const facts = deploymentFacts(app, recorder.requests);
    const requests = [
      ...recorder.requests.flatMap((r) => iamRequestsFor(r, facts, app.region, r.principal)),
      ...serviceEdges(app),
    ];
    const unique = new Map<string, IamRequest>();
    for (const request of requests) unique.set(`${request.principal} ${request.action} ${request.resource}`, request);
    for (const request of unique.values()) decisions.push({ request, decision: await decide(request, policies) });

    const table = decisions.map(({ request, decision }) => ({
      principal: request.principal.replace(/^arn:aws:iam::\d+:role\//, 'role/'),
      action: request.action,
      resource: request.resource.replace(/:123456789012:/, ':…:'),
      allowed: decision.allowed ? 'yes' : `NO (${decision.result}${decision.errors ? `: ${decision.errors}` : ''})`,
      because: request.because,
    }));
    // The table of edges is the test's report: printed on every run.
    process.stdout.write(
      `${['| principal | action | resource | allowed |', '|---|---|---|---|']
        .concat(table.map((row) => `| ${row.principal} | ${row.action} | ${row.resource} | ${row.allowed} |`))
        .join('\n')}\n`,
    );
    expect(table.filter((row) => row.allowed !== 'yes')).toEqual([]);

    const stillAllowed: string[] = [];
    for (const { request, decision } of decisions) {
      const broken = await decide(request, withoutGrants(policies, decision));
      if (broken.allowed) stillAllowed.push(`${request.principal} ${request.action} ${request.resource}`);
    }
    expect(stillAllowed).toEqual([]);

    // The boundary is no `*`: each edge of a bounded role needs the boundary statement that admits it.
    const bounded = decisions.filter(({ request }) => policies.boundary.has(request.principal));
    expect(bounded.length).toBeGreaterThan(100);
    const unbounded: string[] = [];
    for (const { request, decision } of bounded) {
      const broken = await decide(request, withoutBounds(policies, decision));
      if (broken.allowed) unbounded.push(`${request.principal} ${request.action} ${request.resource}`);
    }
    expect(unbounded).toEqual([]);
  });

  it('in kinesis mode, allows the publisher its PutRecords and Firehose its reads of that one stream, each denied without its grant', async () => {
    const facts = deploymentFacts(kinesisApp, kinesisRequests);
    const requests = [
      ...kinesisRequests.flatMap((r) => iamRequestsFor(r, facts, kinesisApp.region, r.principal)),
      ...serviceEdges(kinesisApp),
    ];
    const kinesisEdges = requests.filter((r) => r.action.startsWith('kinesis:') || r.because.includes('Kinesis'));
    expect(kinesisEdges.map((r) => r.action)).toEqual(
      expect.arrayContaining([
        'kinesis:PutRecords',
        'kinesis:GetRecords',
        'kinesis:GetShardIterator',
        'kinesis:DescribeStream',
        'kinesis:ListShards',
      ]),
    );
    const denied: string[] = [];
    const stillAllowed: string[] = [];
    for (const request of requests) {
      const decision = await decide(request, kinesisPolicies);
      if (!decision.allowed)
        denied.push(`${request.principal} ${request.action} ${request.resource} (${decision.result})`);
      else if ((await decide(request, withoutGrants(kinesisPolicies, decision))).allowed)
        stillAllowed.push(`${request.principal} ${request.action} ${request.resource}`);
    }
    expect(denied).toEqual([]);
    expect(stillAllowed).toEqual([]);
    // That one stream: the publisher may not put to another, nor Firehose read another.
    const put = kinesisEdges.find((r) => r.action === 'kinesis:PutRecords') as IamRequest;
    const other = put.resource.replace(/stream\/.*$/, 'stream/insightflow-dev-other');
    expect((await decide({ ...put, resource: other }, kinesisPolicies)).allowed).toBe(false);
    const read = kinesisEdges.find((r) => r.action === 'kinesis:GetRecords') as IamRequest;
    expect((await decide({ ...read, resource: other }, kinesisPolicies)).allowed).toBe(false);
  });

  describe('denies the unfixed policies of the findings it was built for', () => {
    const recorded = (principal: string, action: string, because: RegExp, resource = /./) => {
      const facts = deploymentFacts(app, recorder.requests);
      const match = recorder.requests
        .flatMap((r) => iamRequestsFor(r, facts, app.region, r.principal))
        .concat(serviceEdges(app))
        .find(
          (r) =>
            r.principal === principal && r.action === action && because.test(r.because) && resource.test(r.resource),
        );
      if (!match) throw new Error(`No recorded ${action} by ${principal} (${because})`);
      return match;
    };
    const actionsOf = (s: Record<string, unknown>) => [s.Action].flat() as string[];

    it('Firehose allowed only the bare transformer ARN cannot invoke the processor it is given (…:$LATEST)', async () => {
      const firehoseRole = decisions.find((d) => d.request.because.endsWith('runs its processor'))?.request
        .principal as string;
      const invoke = recorded(firehoseRole, 'lambda:InvokeFunction', /processor/);
      expect(invoke.resource).toMatch(/:\$LATEST$/);
      const unfixed = withRoleStatements(policies, firehoseRole, (s) =>
        actionsOf(s).includes('lambda:InvokeFunction')
          ? { ...s, Resource: [s.Resource].flat().map((r) => String(r).replace(/:\$LATEST$/, '')) }
          : s,
      );
      expect((await decide(invoke, unfixed)).allowed).toBe(false);
    });

    it('the publisher without s3:ListBucket gets 403, not 404, on its first watermark HEAD', async () => {
      const publisher = deployed('stream-publisher').roleArn;
      const head = recorded(publisher, 's3:ListBucket', /may be missing/);
      const unfixed = withRoleStatements(policies, publisher, (s) =>
        actionsOf(s).includes('s3:ListBucket') ? undefined : s,
      );
      expect((await decide(head, unfixed)).allowed).toBe(false);
    });

    it('batch-ingest with s3:ListBucket conditioned on s3:prefix gets 403 reading a manifest not written yet', async () => {
      const ingest = deployed('batch-ingest').roleArn;
      const missing = recorded(ingest, 's3:ListBucket', /may be missing/);
      const unfixed = withRoleStatements(policies, ingest, (s) =>
        actionsOf(s).includes('s3:ListBucket')
          ? { ...s, Condition: { StringLike: { 's3:prefix': ['data/batch/*'] } } }
          : s,
      );
      expect((await decide(missing, unfixed)).allowed).toBe(false);
    });

    it('the clean-layer role without kms:Encrypt on the catalog key cannot run its Athena queries over the encrypted Data Catalog', async () => {
      const clean = deployed('clean-layer').roleArn;
      const encrypt = recorded(clean, 'kms:Encrypt', /StartQueryExecution \(uses the encrypted Data Catalog/);
      const unfixed = withRoleStatements(policies, clean, (s) => {
        const actions = actionsOf(s).filter((a) => a !== 'kms:Encrypt');
        return actions.length === 0 ? undefined : { ...s, Action: actions };
      });
      expect((await decide(encrypt, unfixed)).allowed).toBe(false);
    });

    it('the clean-layer role without the default database cannot start a query (Athena opens the catalog through it)', async () => {
      const clean = deployed('clean-layer').roleArn;
      const opens = recorded(clean, 'glue:GetDatabase', /opens the catalog/, /:database\/default$/);
      const unfixed = withRoleStatements(policies, clean, (s) =>
        JSON.stringify(s.Resource).includes('database/default') ? undefined : s,
      );
      expect((await decide(opens, unfixed)).allowed).toBe(false);
    });

    it('the crawler without logs:AssociateKmsKey cannot write the logs its security configuration encrypts', async () => {
      const crawler = decisions.find((d) => d.request.because.startsWith('Glue crawler'))?.request.principal as string;
      const associate = recorded(crawler, 'logs:AssociateKmsKey', /Glue crawler/);
      const unfixed = withRoleStatements(policies, crawler, (s) => {
        const actions = actionsOf(s).filter((a) => a !== 'logs:AssociateKmsKey');
        return actions.length === 0 ? undefined : { ...s, Action: actions };
      });
      expect((await decide(associate, unfixed)).allowed).toBe(false);
    });
  });

  it('keeps the clean function to its own workgroup and tables: the primary workgroup and the raw catalog are denied', async () => {
    const clean = deployed('clean-layer');
    const context = { 'aws:SecureTransport': 'true' };
    const asClean = (action: string, resource: string, because: string) =>
      decide({ principal: clean.roleArn, action, resource, context, because }, policies);
    const glue = `arn:aws:glue:${app.region}:123456789012`;
    expect(
      (
        await asClean(
          'athena:StartQueryExecution',
          `arn:aws:athena:${app.region}:123456789012:workgroup/primary`,
          'primary',
        )
      ).allowed,
    ).toBe(false);
    expect(
      (await asClean('glue:UpdateTable', `${glue}:table/insightflow_dev_raw/raw_orders`, 'a raw table')).allowed,
    ).toBe(false);
    expect(
      (await asClean('glue:DeleteTable', `${glue}:table/${clean.environment.CLEAN_DATABASE}/orders`, 'a clean table'))
        .allowed,
    ).toBe(false);
    expect(
      (await asClean('s3:PutObject', `arn:aws:s3:::${clean.environment.RAW_BUCKET}/data/batch/orders/x.csv`, 'raw'))
        .allowed,
    ).toBe(false);
  });

  it('judges the recorded calls, not a hand-kept list: a call the policies do not allow is denied', async () => {
    const ingest = deployed('batch-ingest');
    const denied = await decide(
      {
        principal: ingest.roleArn,
        action: 's3:PutObject',
        resource: `arn:aws:s3:::${ingest.environment.RAW_BUCKET}/state/not-for-ingest.json`,
        context: { 'aws:SecureTransport': 'true' },
        because: 'a write outside the batch prefix',
      },
      policies,
    );
    expect(denied.allowed).toBe(false);
  });
});

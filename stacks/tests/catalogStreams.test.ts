import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { readConfiguredCatalog } from '../build/configuredCatalog.js';
import { EXAMPLE_SNOWFLAKE_ENV, type SynthesisedApp, synth } from './helpers/synth.js';
import type { SynthStack } from './policies.js';

type Block = Record<string, unknown>;
const stackOf = (app: SynthesisedApp, name: string) => app.stacks.find((s) => s.name === name) as SynthStack;
const resourcesOf = (stack: SynthStack, type: string) => Object.values(stack.json.resource?.[type] ?? {}) as Block[];
const documentsOf = (stack: SynthStack) => Object.values(stack.json.data?.aws_iam_policy_document ?? {}) as Block[];

/** A catalog of two tables (one keyless), one stream into the keyed one. */
const CATALOG = `
tables:
  - name: shipments
    primaryKey: [shipment_id]
    columns:
      - { name: shipment_id, type: bigint, nullable: false }
      - { name: amount, type: "decimal(18,4)" }
      - { name: shipped_at, type: timestamptz }
  - name: events
    columns:
      - { name: kind, type: text, nullable: false }
streams:
  - { name: shipment_updates, table: shipments }
`;

/** Synthesises the app as `INSIGHTFLOW_CATALOG=<file> npm run synth` does (stacks/main.ts), with `yaml` as the file. */
function synthWithCatalog(yaml: string, env: Record<string, string> = {}): SynthesisedApp {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'insightflow-catalog-')), 'catalog.yaml');
  writeFileSync(file, yaml);
  vi.stubEnv('INSIGHTFLOW_CATALOG', file);
  try {
    return synth(env, readConfiguredCatalog());
  } finally {
    vi.unstubAllEnvs();
  }
}

describe('CDKTF app: synthesised with a catalog file of its own (INSIGHTFLOW_CATALOG)', () => {
  let app: SynthesisedApp;
  let noStreams: SynthesisedApp;

  beforeAll(() => {
    app = synthWithCatalog(CATALOG, { ...EXAMPLE_SNOWFLAKE_ENV });
    noStreams = synthWithCatalog(CATALOG.replace(/streams:[\s\S]*$/, ''), { ...EXAMPLE_SNOWFLAKE_ENV });
  });

  it("makes one delivery stream per catalog stream, writing under that stream's prefixes", () => {
    const streams = resourcesOf(stackOf(app, 'streaming-ingestion'), 'aws_kinesis_firehose_delivery_stream');
    expect(streams.map((s) => s.name)).toEqual(['insightflow-dev-shipment_updates']);
    const s3 = streams[0]?.extended_s3_configuration as Block;
    expect(s3.prefix).toBe(
      'data/streaming/shipment_updates/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hhmm=!{timestamp:HHmm}/',
    );
    expect(s3.error_output_prefix).toBe(
      'data/streaming/shipment_updates_error/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/',
    );
  });

  it("lets the delivery stream's role write only its own two prefixes", () => {
    const puts = documentsOf(stackOf(app, 'streaming-ingestion'))
      .flatMap((d) => (d.statement ?? []) as Block[])
      .filter((s) => (s.actions as string[]).includes('s3:PutObject'));
    expect(puts).toHaveLength(1);
    const objects = (puts[0]?.resources as string[]).filter((r) => r.includes('/'));
    expect(objects.map((r) => r.replace(/^.*\}\//, ''))).toEqual([
      'data/streaming/shipment_updates/*',
      'data/streaming/shipment_updates_error/*',
    ]);
  });

  it('runs a transformer function of its own for the stream, told its stream', () => {
    const functions = resourcesOf(stackOf(app, 'streaming-ingestion'), 'aws_lambda_function');
    expect(functions.map((f) => f.function_name)).toEqual(['insightflow-dev-stream-transformer-shipment_updates']);
    expect((functions[0]?.environment as { variables: Block }).variables).toMatchObject({
      STREAM_NAME: 'shipment_updates',
      MAX_RESPONSE_BYTES: '6000000',
    });
  });

  it('leaves the demo publisher out, saying so, since the catalog has no orders stream', () => {
    const functions = app.stacks.flatMap((s) => resourcesOf(s, 'aws_lambda_function').map((f) => f.function_name));
    expect(functions).not.toContain('insightflow-dev-stream-publisher');
    expect(app.warnings).toContainEqual(
      expect.stringMatching(/no stream orders feeding table orders: stream-publisher, .* is left out/),
    );
  });

  it("crawls the catalog's tables and its stream's prefix", () => {
    const crawlers = resourcesOf(stackOf(app, 'glue-crawler-raw'), 'aws_glue_crawler');
    const targets = Object.fromEntries(
      crawlers.map((c) => [c.name, (c.s3_target as Block[]).map((t) => String(t.path).replace(/^s3:\/\/[^/]+\//, ''))]),
    );
    expect(targets).toEqual({
      'insightflow-dev-raw-batch': ['data/batch/shipments/', 'data/batch/events/'],
      'insightflow-dev-raw-streaming': ['data/streaming/shipment_updates/'],
    });
  });

  it("runs the pipeline over the catalog's tables", () => {
    const orchestration = stackOf(app, 'orchestration');
    const [target] = resourcesOf(orchestration, 'aws_cloudwatch_event_target');
    expect(JSON.parse(String(target?.input))).toEqual({ tables: ['shipments', 'events'] });
    const [machine] = resourcesOf(orchestration, 'aws_sfn_state_machine');
    const definition = String(machine?.definition);
    expect(definition).toContain('"MaxConcurrency":2');
  });

  it('makes no delivery stream, transformer or streaming crawler for a catalog without streams', () => {
    const streaming = stackOf(noStreams, 'streaming-ingestion');
    expect(resourcesOf(streaming, 'aws_kinesis_firehose_delivery_stream')).toEqual([]);
    expect(resourcesOf(streaming, 'aws_lambda_function')).toEqual([]);
    const crawlers = resourcesOf(stackOf(noStreams, 'glue-crawler-raw'), 'aws_glue_crawler');
    expect(crawlers.map((c) => c.name)).toEqual(['insightflow-dev-raw-batch']);
  });
});

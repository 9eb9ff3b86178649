import { instacartCatalog } from '@insightflow/shared-config';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  HANDLER_RETRYABLE,
  HANDLER_TERMINAL,
  MAX_SYNC_ROUNDS,
  pipelineDefinition,
  SYNC_ROUNDS_EXCEEDED,
} from '../constructs/pipelineStateMachine.js';
import { runStates } from './helpers/runStates.js';
import { type SynthesisedApp, synth } from './helpers/synth.js';
import { resourcesOf, stackOf } from './helpers/terraformJson.js';

/** The catalog the stacks under test are synthesised with. */
const catalog = instacartCatalog();

describe('orchestration', () => {
  let dev: SynthesisedApp;

  beforeAll(() => {
    dev = synth();
  });

  it('fans ingest out over the tables, then crawls, then syncs while more remains', () => {
    const definition = JSON.parse(
      pipelineDefinition({ ingest: 'i', clean: 'c', sync: 's', crawlers: ['a', 'b'] }, catalog.tableNames()),
    );
    expect(definition.StartAt).toBe('IngestTables');
    expect(definition.States.IngestTables.Type).toBe('Map');
    expect(definition.States.IngestTables.ItemSelector['runAt.$']).toBe('$$.Execution.StartTime');
    expect(definition.States.MoreToSync.Choices[0]).toMatchObject({ Variable: '$.sync.more', Next: 'Sync' });
  });

  it('retries the Lambda tasks on transient Lambda errors and InsightFlow.Retryable only; InsightFlow.Terminal fails at once', () => {
    const definition = JSON.parse(
      pipelineDefinition({ ingest: 'i', clean: 'c', sync: 's', crawlers: ['a'] }, catalog.tableNames()),
    );
    const tasks: Record<string, { Retry: { ErrorEquals: string[]; MaxAttempts?: number }[] }> = {
      IngestTable: definition.States.IngestTables.ItemProcessor.States.IngestTable,
      CleanTable: definition.States.CleanTables.ItemProcessor.States.CleanTable,
      Sync: definition.States.Sync,
    };
    // Step Functions' rule: the first retrier naming the error (or a catch-all) decides.
    const attemptsAfter = (task: string, error: string) => {
      const retrier = tasks[task]?.Retry.find((r) =>
        r.ErrorEquals.some((e) => e === error || e === 'States.ALL' || e === 'States.TaskFailed'),
      );
      return retrier ? (retrier.MaxAttempts ?? 3) : 0;
    };
    for (const task of Object.keys(tasks)) {
      expect(attemptsAfter(task, 'InsightFlow.Retryable'), task).toBeGreaterThan(0);
      expect(attemptsAfter(task, 'Lambda.ServiceException'), task).toBeGreaterThan(0);
      expect(attemptsAfter(task, 'InsightFlow.Terminal'), task).toBe(0);
      expect(attemptsAfter(task, 'Sandbox.Timedout'), task).toBe(0);
    }
    expect([HANDLER_RETRYABLE, HANDLER_TERMINAL]).toEqual(['InsightFlow.Retryable', 'InsightFlow.Terminal']);
  });

  it('bounds the sync loop: an execution whose sync always has more fails after MAX_SYNC_ROUNDS rounds', () => {
    const definition = JSON.parse(
      pipelineDefinition({ ingest: 'i', clean: 'c', sync: 's', crawlers: ['a'] }, catalog.tableNames()),
    );
    expect(definition.States.CleanTables.Next).toBe('StartSync');
    const endless = runStates(definition, 'StartSync', () => ({ Payload: { more: true, rows: 1 } }));
    expect(endless.end).toMatchObject({ Type: 'Fail', Error: SYNC_ROUNDS_EXCEEDED });
    expect(endless.tasks).toHaveLength(MAX_SYNC_ROUNDS);
    const finite = runStates(definition, 'StartSync', (_, round) => ({ Payload: { more: round < 3, rows: 1 } }));
    expect(finite.end).toMatchObject({ Type: 'Succeed' });
    expect(finite.tasks).toHaveLength(3);
  });

  it('alarms on failed, timed-out and aborted pipeline executions', () => {
    const alarms = Object.values(
      resourcesOf(stackOf(dev.stacks, 'orchestration'), 'aws_cloudwatch_metric_alarm'),
    ).filter((a) => a.namespace === 'AWS/States');
    expect(alarms.map((a) => a.metric_name).sort()).toEqual([
      'ExecutionsAborted',
      'ExecutionsFailed',
      'ExecutionsTimedOut',
    ]);
    for (const alarm of alarms) {
      expect(JSON.stringify(alarm.alarm_actions)).toContain('cross-stack-reference-input-s3-buckets');
    }
  });

  it("alarms on rejected rows per function and on the sync's lag, from the handlers' own metrics, to the alarm topic", () => {
    const alarms = Object.values(
      resourcesOf(stackOf(dev.stacks, 'orchestration'), 'aws_cloudwatch_metric_alarm'),
    ).filter((a) => a.namespace === 'InsightFlow');
    const rejected = alarms.filter((a) => a.metric_name === 'rejected');
    expect(rejected.map((a) => (a.dimensions as Record<string, string>).service).sort()).toEqual([
      'batch-ingest',
      'clean-layer',
      's3-to-rds-sync',
      'snowflake-loader',
    ]);
    const lag = alarms.filter((a) => a.metric_name === 'lagSeconds');
    expect(lag).toEqual([
      expect.objectContaining({ statistic: 'Maximum', dimensions: { service: 's3-to-rds-sync', environment: 'dev' } }),
    ]);
    for (const alarm of alarms)
      expect(JSON.stringify(alarm.alarm_actions)).toContain('cross-stack-reference-input-s3-buckets');
  });

  it("draws the pipeline on one dashboard: the handlers' metrics, Firehose, Step Functions and RDS", () => {
    const [dashboard] = Object.values(resourcesOf(stackOf(dev.stacks, 'orchestration'), 'aws_cloudwatch_dashboard'));
    const body = String(dashboard?.dashboard_body);
    for (const metric of [
      'rows',
      'rejected',
      'refused',
      'lagSeconds',
      'recordsOk',
      'recordsDropped',
      'recordsProcessingFailed',
      'recordsSent',
      'recordsResent',
    ]) {
      expect(body).toContain(`MetricName=\\"${metric}\\"`);
    }
    for (const service of [
      'AWS/Firehose',
      'AWS/States',
      'AWS/RDS',
      'CPUUtilization',
      'FreeStorageSpace',
      'DeliveryToS3.Records',
    ]) {
      expect(body).toContain(service);
    }
    expect(body).toContain('cross-stack-reference-input-rds-postgresql');
    expect(body).toContain('cross-stack-reference-input-streaming-ingestion');
  });
});

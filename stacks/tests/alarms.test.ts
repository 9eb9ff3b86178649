import { describe, expect, it } from 'vitest';
import { EXAMPLE_SNOWFLAKE_ENV, synth } from './helpers/synth.js';
import type { SynthStack } from './policies.js';

const resources = (stacks: SynthStack[], type: string) =>
  stacks.flatMap((s) => Object.entries(s.json.resource?.[type] ?? {}).map(([name, r]) => ({ stack: s.name, name, r })));

/**
 * Every function has an Errors alarm to the alarm topic; every function invoked asynchronously
 * (by an EventBridge rule) keeps its failed events in a queue; every delivery stream alarms on
 * processing and delivery failures.
 */
function unwatchedFailures(stacks: SynthStack[]): string[] {
  const violations: string[] = [];
  const alarms = resources(stacks, 'aws_cloudwatch_metric_alarm').map(({ r }) => r);
  const toTopic = (a: Record<string, unknown>) => JSON.stringify(a.alarm_actions).includes('alarm');
  for (const { stack, name, r } of resources(stacks, 'aws_lambda_function')) {
    const fn = String(r.function_name);
    const watched = alarms.some(
      (a) => a.metric_name === 'Errors' && JSON.stringify(a.dimensions).includes(`${name}.function_name`) && toTopic(a),
    );
    if (!watched) violations.push(`${stack}: ${fn} has no Errors alarm to the alarm topic`);
  }
  const asyncTargets = resources(stacks, 'aws_cloudwatch_event_target')
    .map(({ r }) => String(r.arn))
    .filter((arn) => arn.includes('aws_lambda_function.'));
  for (const arn of asyncTargets) {
    const fn = /aws_lambda_function\.([^.]+)\./.exec(arn)?.[1];
    const kept = resources(stacks, 'aws_lambda_function_event_invoke_config').some(
      ({ r }) =>
        JSON.stringify(r).includes(`aws_lambda_function.${fn}.`) &&
        JSON.stringify(r.destination_config).includes('sqs'),
    );
    if (!kept) violations.push(`function ${fn} is invoked asynchronously but keeps no failed events`);
  }
  for (const { stack, r } of resources(stacks, 'aws_kinesis_firehose_delivery_stream')) {
    for (const metric of ['ExecuteProcessing.Success', 'DeliveryToS3.Success']) {
      const watched = alarms.some(
        (a) => a.metric_name === metric && JSON.stringify(a.dimensions).includes(String(r.name)) && toTopic(a),
      );
      if (!watched) violations.push(`${stack}: delivery stream ${String(r.name)} has no ${metric} alarm`);
    }
  }
  return violations;
}

describe('Alarms: no failure goes unwatched', () => {
  const app = synth({ ...EXAMPLE_SNOWFLAKE_ENV });

  it('every function alarms on errors, asynchronous failures are kept, delivery streams alarm on failures', () => {
    expect(resources(app.stacks, 'aws_lambda_function').length).toBeGreaterThanOrEqual(5);
    expect(unwatchedFailures(app.stacks)).toEqual([]);
  });

  it('fails on a copy without an Errors alarm, a failure destination or a delivery alarm', () => {
    const broken = structuredClone(app.stacks);
    for (const stack of broken) {
      const r = stack.json.resource ?? {};
      for (const [name, alarm] of Object.entries(r.aws_cloudwatch_metric_alarm ?? {})) {
        if (alarm.metric_name === 'Errors' && name.includes('transformer'))
          delete r.aws_cloudwatch_metric_alarm?.[name];
        if (alarm.metric_name === 'DeliveryToS3.Success') delete r.aws_cloudwatch_metric_alarm?.[name];
      }
      delete r.aws_lambda_function_event_invoke_config;
    }
    const violations = unwatchedFailures(broken);
    expect(violations).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/transformer\S* has no Errors alarm/),
        expect.stringMatching(/invoked asynchronously but keeps no failed events/),
        expect.stringMatching(/no DeliveryToS3.Success alarm/),
      ]),
    );
  });
});

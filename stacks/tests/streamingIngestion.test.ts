import { beforeAll, describe, expect, it } from 'vitest';
import { type SynthesisedApp, synth } from './helpers/synth.js';

describe('streaming-ingestion', () => {
  let dev: SynthesisedApp;

  beforeAll(() => {
    dev = synth();
  });

  it('routes Firehose output to the streaming and error prefixes through the transformer', () => {
    const stream = Object.values(
      dev.stacks.find((s) => s.name === 'streaming-ingestion')?.json.resource?.aws_kinesis_firehose_delivery_stream ??
        {},
    )[0] as { extended_s3_configuration: Record<string, unknown> };
    expect(stream.extended_s3_configuration.prefix).toBe(
      'data/streaming/orders/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hhmm=!{timestamp:HHmm}/',
    );
    expect(stream.extended_s3_configuration.error_output_prefix).toMatch(
      /^data\/streaming\/orders_error\/!\{firehose:error-output-type\}/,
    );
  });
});

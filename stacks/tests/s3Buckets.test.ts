import { beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_SNOWFLAKE_ENV, PROD_ENV, type SynthesisedApp, synth } from './helpers/synth.js';
import { documentsOf, resourcesOf, stackOf, statementsOf, tf } from './helpers/terraformJson.js';

describe('s3-buckets', () => {
  let dev: SynthesisedApp;
  let prod: SynthesisedApp;

  beforeAll(() => {
    dev = synth();
    prod = synth(PROD_ENV);
  });

  it('creates the Snowflake integration role only for a configured principal, trusting exactly it', () => {
    const devStorage = stackOf(dev.stacks, 's3-buckets');
    expect(Object.keys(resourcesOf(devStorage, 'aws_iam_role'))).toEqual([]);
    expect(JSON.stringify(devStorage.json)).not.toContain('000000000000');
    const trust = Object.entries(documentsOf(stackOf(prod.stacks, 's3-buckets'))).find(([name]) =>
      name.startsWith('snowflake-integration_trust'),
    )?.[1];
    expect(statementsOf(trust)).toEqual([
      expect.objectContaining({
        principals: [{ type: 'AWS', identifiers: [EXAMPLE_SNOWFLAKE_ENV.SNOWFLAKE_IAM_USER_ARN] }],
        condition: [
          { test: 'StringEquals', variable: 'sts:ExternalId', values: [EXAMPLE_SNOWFLAKE_ENV.SNOWFLAKE_EXTERNAL_ID] },
        ],
      }),
    ]);
  });

  it('reads the account id from the key ARN, which exists in every environment', () => {
    for (const app of [dev, prod]) {
      const admin = statementsOf(documentsOf(stackOf(app.stacks, 's3-buckets'))['key-policy']).find(
        (s) => s.sid === 'AccountAdministers',
      );
      expect(admin?.principals).toEqual([
        { type: 'AWS', identifiers: [`arn:aws:iam::${tf('element(split(":", aws_kms_key.key.arn), 4)')}:root`] },
      ]);
    }
  });

  it('sends every alarm to one topic in s3-buckets, under a key of its own that CloudWatch and EventBridge may use and no data is under', () => {
    const storage = stackOf(prod.stacks, 's3-buckets');
    expect(Object.values(resourcesOf(storage, 'aws_sns_topic'))).toEqual([
      expect.objectContaining({ name: 'insightflow-prod-alarms', kms_master_key_id: tf('aws_kms_key.alarm-key.arn') }),
    ]);
    const publishers = statementsOf(documentsOf(storage)['alarm-topic-policy']);
    expect(publishers).toEqual([
      expect.objectContaining({
        actions: ['sns:Publish'],
        principals: [{ type: 'Service', identifiers: ['cloudwatch.amazonaws.com', 'events.amazonaws.com'] }],
        condition: [expect.objectContaining({ test: 'StringEquals', variable: 'aws:SourceAccount' })],
      }),
    ]);
    const servicesOf = (document: string) =>
      statementsOf(documentsOf(storage)[document]).filter((s) =>
        JSON.stringify(s.principals).includes('events.amazonaws.com'),
      );
    expect(servicesOf('alarm-key-policy')).toEqual([
      expect.objectContaining({ actions: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
    ]);
    // The data key admits no service that publishes alarms.
    expect(servicesOf('key-policy')).toEqual([]);
    expect(JSON.stringify(statementsOf(documentsOf(storage)['key-policy']))).not.toContain('cloudwatch.amazonaws.com');
    for (const bucket of Object.values(resourcesOf(storage, 'aws_s3_bucket_server_side_encryption_configuration')))
      expect(JSON.stringify(bucket)).not.toContain('alarm-key');
    expect(
      prod.stacks.filter((s) => Object.keys(resourcesOf(s, 'aws_sns_topic')).length > 0).map((s) => s.name),
    ).toEqual(['s3-buckets']);
  });
});

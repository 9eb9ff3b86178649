import { ConfigError, instacartCatalog, readStacksConfig } from '@insightflow/shared-config';
import { describe, expect, it } from 'vitest';
import { environmentSettings } from '../config.js';
import { EXAMPLE_SNOWFLAKE_ENV, synth } from './helpers/synth.js';

const PLACEHOLDER = /placeholder|set-|000000000000/i;

/** Every string of a JSON value that matches `pattern`, with where it is. */
function matchingStrings(value: unknown, pattern: RegExp, at = ''): string[] {
  if (typeof value === 'string') return pattern.test(value) ? [`${at}: ${value}`] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => matchingStrings(v, pattern, `${at}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [
      ...(pattern.test(k) ? [`${at}.${k} (key)`] : []),
      ...matchingStrings(v, pattern, `${at}.${k}`),
    ]);
  }
  return [];
}

const functionNames = (app: ReturnType<typeof synth>) =>
  app.stacks.flatMap((s) =>
    Object.values(s.json.resource?.aws_lambda_function ?? {}).map((f) => String(f.function_name)),
  );

describe('Stacks configuration: no placeholders, every Snowflake value from configuration', () => {
  it('a dev synth without Snowflake settings leaves out what needs them and says so, with no placeholder anywhere', () => {
    const app = synth();
    expect(app.stacks.flatMap((s) => matchingStrings(s.json, PLACEHOLDER, s.name))).toEqual([]);
    expect(functionNames(app)).not.toContain('insightflow-dev-batch-ingest');
    expect(functionNames(app)).not.toContain('insightflow-dev-stream-publisher');
    const roles = app.stacks.flatMap((s) =>
      Object.values(s.json.resource?.aws_iam_role ?? {}).map((r) => String(r.name)),
    );
    expect(roles).not.toContain('insightflow-dev-snowflake-integration');
    expect(app.warnings).toEqual([
      expect.stringMatching(/SNOWFLAKE_ACCOUNT and SNOWFLAKE_USER are unset: batch-ingest and stream-publisher/),
      expect.stringMatching(
        /SNOWFLAKE_IAM_USER_ARN and SNOWFLAKE_EXTERNAL_ID are unset: .*integration role is left out/,
      ),
      expect.stringMatching(
        /INSIGHTFLOW_GITHUB_REPOSITORY and TF_STATE_BUCKET are not both set: the account stack leaves out/,
      ),
    ]);
  });

  it('a full synth carries every Snowflake value from configuration into the functions and the trust policy', () => {
    const app = synth({
      ...EXAMPLE_SNOWFLAKE_ENV,
      INSIGHTFLOW_ENV: 'prod',
      INSIGHTFLOW_GITHUB_REPOSITORY: 'acme/insightflow',
      TF_STATE_BUCKET: 'acme-terraform-state',
    });
    expect(app.stacks.flatMap((s) => matchingStrings(s.json, PLACEHOLDER, s.name))).toEqual([]);
    expect(app.warnings).toEqual([]);
    expect(JSON.stringify(app.stacks.find((s) => s.name === 'account')?.json)).toContain('repo:acme/insightflow:');
    const ingest = app.stacks
      .flatMap((s) => Object.values(s.json.resource?.aws_lambda_function ?? {}))
      .find((f) => f.function_name === 'insightflow-prod-batch-ingest') as {
      environment: { variables: Record<string, string> };
    };
    expect(ingest.environment.variables).toMatchObject({
      SNOWFLAKE_ACCOUNT: EXAMPLE_SNOWFLAKE_ENV.SNOWFLAKE_ACCOUNT,
      SNOWFLAKE_USER: EXAMPLE_SNOWFLAKE_ENV.SNOWFLAKE_USER,
      SNOWFLAKE_ROLE: EXAMPLE_SNOWFLAKE_ENV.SNOWFLAKE_ROLE,
      SNOWFLAKE_WAREHOUSE: EXAMPLE_SNOWFLAKE_ENV.SNOWFLAKE_WAREHOUSE,
      SNOWFLAKE_DATABASE: 'INSIGHTFLOW',
      SNOWFLAKE_SCHEMA: 'RAW',
    });
    const trust = JSON.stringify(app.stacks.find((s) => s.name === 's3-buckets')?.json.data?.aws_iam_policy_document);
    expect(trust).toContain(EXAMPLE_SNOWFLAKE_ENV.SNOWFLAKE_IAM_USER_ARN);
    expect(trust).toContain(EXAMPLE_SNOWFLAKE_ENV.SNOWFLAKE_EXTERNAL_ID);
  });

  it('a prod synth without a Snowflake setting fails, naming each missing variable', () => {
    const { SNOWFLAKE_WAREHOUSE: _warehouse, SNOWFLAKE_EXTERNAL_ID: _externalId, ...partial } = EXAMPLE_SNOWFLAKE_ENV;
    const error = (() => {
      try {
        readStacksConfig({ ...partial, INSIGHTFLOW_ENV: 'prod' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.variable).sort()).toEqual([
      'SNOWFLAKE_EXTERNAL_ID',
      'SNOWFLAKE_WAREHOUSE',
    ]);
    expect((error as Error).message).toMatch(
      /SNOWFLAKE_WAREHOUSE: not set; expected required when INSIGHTFLOW_ENV=prod/,
    );
  });

  it('refuses the placeholder account id and half a pair of settings in dev', () => {
    expect(() =>
      readStacksConfig({ SNOWFLAKE_IAM_USER_ARN: 'arn:aws:iam::000000000000:user/x', SNOWFLAKE_EXTERNAL_ID: 'e' }),
    ).toThrow(/SNOWFLAKE_IAM_USER_ARN/);
    expect(() => readStacksConfig({ SNOWFLAKE_ACCOUNT: 'org-acct' })).toThrow(
      /SNOWFLAKE_USER: not set; expected required together with SNOWFLAKE_ACCOUNT/,
    );
  });

  it('deploys the demo publisher in dev, and in prod only when INSIGHTFLOW_DEMO_PUBLISHER=true', () => {
    const settings = (env: Record<string, string>) =>
      environmentSettings(instacartCatalog(), readStacksConfig(env), () => undefined);
    expect(settings(EXAMPLE_SNOWFLAKE_ENV).demoPublisher).toBe(true);
    expect(settings({ ...EXAMPLE_SNOWFLAKE_ENV, INSIGHTFLOW_ENV: 'prod' }).demoPublisher).toBe(false);
    expect(functionNames(synth({ ...EXAMPLE_SNOWFLAKE_ENV, INSIGHTFLOW_ENV: 'prod' }))).not.toContain(
      'insightflow-prod-stream-publisher',
    );
    expect(
      functionNames(synth({ ...EXAMPLE_SNOWFLAKE_ENV, INSIGHTFLOW_ENV: 'prod', INSIGHTFLOW_DEMO_PUBLISHER: 'true' })),
    ).toContain('insightflow-prod-stream-publisher');
  });
});

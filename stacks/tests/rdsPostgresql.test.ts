import { beforeAll, describe, expect, it } from 'vitest';
import { PROD_ENV, type SynthesisedApp, synth } from './helpers/synth.js';
import { resourcesOf, stackOf } from './helpers/terraformJson.js';

describe('rds-postgresql', () => {
  let prod: SynthesisedApp;

  beforeAll(() => {
    prod = synth(PROD_ENV);
  });

  it('keeps prod data safe: deletion protection, final snapshot, Multi-AZ', () => {
    const db = Object.values(
      prod.stacks.find((s) => s.name === 'rds-postgresql')?.json.resource?.aws_db_instance ?? {},
    )[0];
    expect(db).toMatchObject({
      deletion_protection: true,
      skip_final_snapshot: false,
      multi_az: true,
      backup_retention_period: 7,
    });
    expect(db?.final_snapshot_identifier).toBe('insightflow-prod-postgres-final');
  });

  it('exports the PostgreSQL and upgrade logs into encrypted log groups created before the instance', () => {
    const rds = stackOf(prod.stacks, 'rds-postgresql');
    const groups = resourcesOf(rds, 'aws_cloudwatch_log_group');
    expect(Object.values(groups).map((g) => g.name)).toEqual([
      '/aws/rds/instance/insightflow-prod-postgres/postgresql',
      '/aws/rds/instance/insightflow-prod-postgres/upgrade',
    ]);
    expect(resourcesOf(rds, 'aws_db_instance').postgres?.depends_on).toEqual(
      Object.keys(groups).map((name) => `aws_cloudwatch_log_group.${name}`),
    );
  });
});

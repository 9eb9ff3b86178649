import { beforeAll, describe, expect, it } from 'vitest';
import { PROD_ENV, type SynthesisedApp, synth } from './helpers/synth.js';
import { resourcesOf, stackOf } from './helpers/terraformJson.js';

describe('vpc', () => {
  let dev: SynthesisedApp;
  let prod: SynthesisedApp;

  beforeAll(() => {
    dev = synth();
    prod = synth(PROD_ENV);
  });

  it('gives the bastion its SSM endpoints, and sends HTTPS to endpoints and the S3 prefix list only', () => {
    const endpoints = (app: SynthesisedApp) =>
      Object.values(resourcesOf(stackOf(app.stacks, 'vpc'), 'aws_vpc_endpoint')).map((e) =>
        String(e.service_name).split('.').at(-1),
      );
    expect(endpoints(dev).sort()).toEqual(['s3', 'secretsmanager']);
    expect(endpoints(prod).sort()).toEqual(['ec2messages', 's3', 'secretsmanager', 'ssm', 'ssmmessages']);
    for (const [app, stack, group] of [
      [prod, 'vpc', 'lambda-sg'],
      [prod, 'bastion', 'sg'],
    ] as const) {
      const https = Object.values(resourcesOf(stackOf(app.stacks, stack), 'aws_vpc_security_group_egress_rule')).filter(
        (r) => r.from_port === 443 && JSON.stringify(r.security_group_id).includes(group),
      );
      expect(
        https
          .map((r) => r.prefix_list_id ?? r.referenced_security_group_id)
          .map(String)
          .sort(),
        stack,
      ).toEqual([expect.stringMatching(/endpoint-sg/), expect.stringMatching(/s3-endpoint\.?prefix_list_id/)]);
    }
  });
});

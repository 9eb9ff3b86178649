import { beforeAll, describe, expect, it } from 'vitest';
import { BASTION_AMI_PARAMETER } from '../bastion.js';
import { PROD_ENV, type SynthesisedApp, synth } from './helpers/synth.js';
import { resourcesOf, stackOf, tf } from './helpers/terraformJson.js';

describe('bastion', () => {
  let prod: SynthesisedApp;

  beforeAll(() => {
    prod = synth(PROD_ENV);
  });

  it('runs the bastion on the public Amazon Linux 2023 parameter, with no variables to set', () => {
    const bastion = stackOf(prod.stacks, 'bastion');
    expect(bastion.json.variable).toBeUndefined();
    expect(Object.values(bastion.json.data?.aws_ssm_parameter ?? {})).toEqual([
      expect.objectContaining({ name: BASTION_AMI_PARAMETER }),
    ]);
    expect(resourcesOf(bastion, 'aws_instance').instance?.ami).toBe(tf('data.aws_ssm_parameter.ami.insecure_value'));
  });
});

import { describe, expect, it } from 'vitest';
import { makeTempHome, runCli } from '../helpers/runCli.js';

describe('CLI exit codes and errors', () => {
  it('exits 2 on an unknown command, with a pointer to --help', async () => {
    const run = await runCli(['frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown command 'frobnicate'/);
    expect(run.stderr).toMatch(/insightflow --help/);
  });

  it('exits 2 on an unknown option', async () => {
    expect((await runCli(['status', '--colour'])).code).toBe(2);
  });

  it('exits 0 for --help and --version', async () => {
    expect((await runCli(['--help'])).code).toBe(0);
    expect((await runCli(['--version'])).stdout.trim()).toBe('0.1.0');
  });

  it('exits 1 on bad configuration, naming the variable, value and expected form', async () => {
    const run = await runCli(['status'], { RAW_BUCKET: 'Not_A_Bucket', INSIGHTFLOW_TARGET: 'cloud' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/RAW_BUCKET: got "Not_A_Bucket"; expected an S3 bucket name/);
    expect(run.stderr).toMatch(/INSIGHTFLOW_TARGET: got "cloud"; expected local or aws/);
  });

  it('prints a JSON error document on stdout with --json', async () => {
    const run = await runCli(['--json', 'status'], { S3_ENDPOINT: 'not a url' });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { name: 'ConfigError', kind: 'terminal' } });
  });

  it('`env` fails with the next step when no services are up', async () => {
    const run = await runCli(['--home', await makeTempHome(), 'env']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/npx insightflow up/);
    expect(run.stdout).toBe('');
  });
});

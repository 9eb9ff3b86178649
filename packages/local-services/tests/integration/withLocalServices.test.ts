import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  findRunningServices,
  isProcessAlive,
  localKinesisClient,
  resolveHomeLayout,
  withLocalServices,
} from '../../src/index.js';

describe('Function: withLocalServices()', () => {
  it('starts services for one call when none are up, and stops every process after it', async () => {
    const home = resolveHomeLayout(await mkdtemp(path.join(tmpdir(), 'insightflow-ls-')));
    let pids: number[] = [];
    let streams: string[] | undefined;

    const answer = await withLocalServices(home, async (services) => {
      pids = [services.state.pid, services.state.s3.pid, services.state.postgres.pid];
      if (services.state.kinesis) pids.push(services.state.kinesis.pid);
      // The Kinesis API server answers on its endpoint (an empty list: the pipeline creates streams).
      const kinesis = localKinesisClient(services.kinesisEndpoint as string);
      streams = (await kinesis.send(new ListStreamsCommand({}))).StreamNames;
      kinesis.destroy();
      const client = new pg.Client({ connectionString: services.databaseUrl });
      await client.connect();
      const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
      await client.end();
      return rows[0]?.server_version;
    });

    expect(answer).toMatch(/^17\./);
    expect(streams).toEqual([]);
    expect(pids).toHaveLength(4);
    expect(pids.filter(isProcessAlive)).toEqual([]);
    // Ephemeral services are not advertised to other commands.
    expect(await findRunningServices(home)).toBeUndefined();
  });

  it('keeps data across restarts of the same home', async () => {
    const home = resolveHomeLayout(await mkdtemp(path.join(tmpdir(), 'insightflow-ls-')));
    const query = (sql: string) =>
      withLocalServices(home, async (services) => {
        const client = new pg.Client({ connectionString: services.databaseUrl });
        await client.connect();
        try {
          return (await client.query(sql)).rows;
        } finally {
          await client.end();
        }
      });

    await query('CREATE TABLE kept (v text); INSERT INTO kept VALUES ($$café, "quoted"$$)');
    expect(await query('SELECT v FROM kept')).toEqual([{ v: 'café, "quoted"' }]);
  });

  it('stops the services even when the work fails', async () => {
    const home = resolveHomeLayout(await mkdtemp(path.join(tmpdir(), 'insightflow-ls-')));
    let supervisor = 0;
    await expect(
      withLocalServices(home, async (services) => {
        supervisor = services.state.pid;
        throw new Error('work failed');
      }),
    ).rejects.toThrow('work failed');
    expect(isProcessAlive(supervisor)).toBe(false);
  });
});

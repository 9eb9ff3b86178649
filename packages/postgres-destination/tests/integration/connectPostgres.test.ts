import net from 'node:net';
import { startTestServices, type TestServices } from '@insightflow/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPostgresUrl, PostgresConnectError } from '../../src/index.js';

describe('Function: connectPostgresUrl() (real PostgreSQL, real closed port)', () => {
  let services: TestServices;

  beforeAll(async () => {
    services = await startTestServices();
  });
  afterAll(async () => {
    await services?.stop();
  });

  it('connects by URL', async () => {
    const client = await connectPostgresUrl(services.databaseUrl);
    try {
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
  });

  it('a closed port: PostgresConnectError naming the URL without its password, retryable', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const failure = await connectPostgresUrl(`postgres://u:hunter2@127.0.0.1:${port}/db`).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PostgresConnectError);
    expect((failure as PostgresConnectError).endpoint).toBe(`postgres://u:****@127.0.0.1:${port}/db`);
    expect((failure as Error).message).not.toContain('hunter2');
    expect((failure as PostgresConnectError).retryable).toBe(true);
    expect(((failure as Error).cause as { code?: string }).code).toBe('ECONNREFUSED');
  });

  it('a wrong password: terminal, the server’s SQL state kept on the cause', async () => {
    const url = new URL(services.databaseUrl);
    url.password = 'not-the-password';
    const failure = await connectPostgresUrl(url.toString()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PostgresConnectError);
    expect((failure as PostgresConnectError).retryable).toBe(false);
    expect(((failure as Error).cause as { code?: string }).code).toBe('28P01');
    expect((failure as Error).message).not.toContain('not-the-password');
  });
});

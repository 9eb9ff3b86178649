import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  ensureLocalDataStream,
  type LocalServices,
  localKinesisClient,
  resolveHomeLayout,
  startAttachedServices,
} from '@insightflow/local-services';
import pg from 'pg';
import { localS3Client } from './testS3.js';

/** A real PostgreSQL, S3 API server and Kinesis API server for one test file. */
export interface TestServices {
  services: LocalServices;
  s3: S3Client;
  /** The Kinesis API server's endpoint (kinesalite), and a client for it. */
  kinesisEndpoint: string;
  kinesis: KinesisClient;
  /** Creates a data stream (two shards) unless it exists, and waits until it is ACTIVE. */
  createKinesisStream(name: string): Promise<void>;
  databaseUrl: string;
  /** A new connected client (the caller ends it). */
  connect(): Promise<pg.Client>;
  /** Runs a query on a short-lived connection. */
  query<R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<R[]>;
  stop(): Promise<void>;
}

/** Starts the local services in a fresh temporary home, removed again by `stop()`. */
export async function startTestServices(): Promise<TestServices> {
  const dir = await mkdtemp(path.join(tmpdir(), 'insightflow-services-'));
  const home = resolveHomeLayout(dir);
  const attached = await startAttachedServices(home);
  const { services } = attached;
  const s3 = localS3Client(services.s3Endpoint, { credentials: services.s3Credentials });
  // Services started by this very call always include the Kinesis API server.
  const kinesisEndpoint = services.kinesisEndpoint as string;
  const kinesis = localKinesisClient(kinesisEndpoint);
  const connect = async () => {
    const client = new pg.Client({ connectionString: services.databaseUrl });
    await client.connect();
    return client;
  };
  return {
    services,
    s3,
    kinesisEndpoint,
    kinesis,
    createKinesisStream: (name) => ensureLocalDataStream(kinesis, name),
    databaseUrl: services.databaseUrl,
    connect,
    async query(sql, values) {
      const client = await connect();
      try {
        return (await client.query(sql, values)).rows;
      } finally {
        await client.end();
      }
    },
    async stop() {
      s3.destroy();
      kinesis.destroy();
      await attached.stop();
      // A PostgreSQL data directory and an S3 store per run: left behind, a day of test and bench
      // runs filled this machine's disk.
      await rm(dir, { recursive: true, force: true });
    },
  };
}

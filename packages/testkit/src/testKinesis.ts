import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  ensureLocalDataStream,
  localKinesisClient,
  type RunningKinesisServer,
  startKinesisServer,
} from '@insightflow/local-services';

/** A real Kinesis API server (kinesalite, in memory) for one test file, with a client for it. */
export interface TestKinesis {
  server: RunningKinesisServer;
  client: KinesisClient;
  endpoint: string;
  /** Creates a data stream (two shards) unless it exists, and waits until it is ACTIVE. */
  createStream(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a Kinesis API server on loopback. */
export async function startTestKinesis(): Promise<TestKinesis> {
  const server = await startKinesisServer();
  const client = localKinesisClient(server.endpoint);
  return {
    server,
    client,
    endpoint: server.endpoint,
    createStream: (name) => ensureLocalDataStream(client, name),
    async stop() {
      client.destroy();
      await server.stop();
    },
  };
}

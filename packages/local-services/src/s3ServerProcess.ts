/**
 * The local S3 API server, run in its own process: s3rver's ListObjectsV2 continuation tokens
 * use single DES, which Node.js ≥ 17 only allows with `--openssl-legacy-provider`, and that
 * flag should not leak into the processes that run InsightFlow's own code.
 *
 * Usage: node --openssl-legacy-provider --import tsx s3ServerProcess.ts --dir D --port P --buckets a,b
 */
import { parseArgs } from 'node:util';
import S3rver from 's3rver';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    port: { type: 'string' },
    buckets: { type: 'string', default: '' },
  },
});
const send = (message: unknown) => process.send?.(message);

if (!values.dir || !values.port) {
  send({ type: 'error', message: 'usage: --dir DIR --port PORT [--buckets a,b]' });
  process.exit(2);
}

const server = new S3rver({
  address: '127.0.0.1',
  port: Number(values.port),
  directory: values.dir,
  silent: true,
  configureBuckets: values.buckets
    .split(',')
    .filter(Boolean)
    .map((name) => ({ name, configs: [] })),
});

try {
  const address = await server.run();
  send({ type: 'ready', payload: { port: address.port, pid: process.pid } });
} catch (error) {
  send({ type: 'error', message: (error as Error).message });
  process.exit(1);
}

const shutdown = () => {
  server.close().finally(() => process.exit(0));
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// The supervisor owns this process: when it goes, so does the server.
process.on('disconnect', shutdown);

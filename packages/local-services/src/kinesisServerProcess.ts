/**
 * The local Kinesis API server (kinesalite, in memory), run in its own process so that a burst of
 * GetRecords never stalls the supervisor, and the supervisor can restart it like the S3 server.
 *
 * Usage: node --import tsx kinesisServerProcess.ts --port P
 */
import { parseArgs } from 'node:util';
import kinesalite from 'kinesalite';

const { values } = parseArgs({ options: { port: { type: 'string' } } });
const send = (message: unknown) => process.send?.(message);

if (!values.port) {
  send({ type: 'error', message: 'usage: --port PORT' });
  process.exit(2);
}

// Streams become ACTIVE (and deleted) at once instead of after kinesalite's default half second.
const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0 });
server.on('error', (error: Error) => {
  send({ type: 'error', message: error.message });
  process.exit(1);
});
server.listen(Number(values.port), '127.0.0.1', () => {
  send({ type: 'ready', payload: { port: Number(values.port), pid: process.pid } });
});

const shutdown = () => {
  server.close(() => process.exit(0));
  // Open keep-alive connections would hold close() back.
  setTimeout(() => process.exit(0), 1_000).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// The supervisor owns this process: when it goes, so does the server.
process.on('disconnect', shutdown);

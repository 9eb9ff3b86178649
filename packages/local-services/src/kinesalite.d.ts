/** kinesalite ships no types: the one function it exports, as this package calls it. */
declare module 'kinesalite' {
  import type { Server } from 'node:http';

  interface KinesaliteOptions {
    /** LevelDB directory; in memory (memdown) when absent. */
    path?: string;
    /** How long a stream stays CREATING, DELETING or UPDATING (500 ms by default). */
    createStreamMs?: number;
    deleteStreamMs?: number;
    updateStreamMs?: number;
    shardLimit?: number;
    ssl?: boolean;
  }

  /** An HTTP server that answers the Kinesis API (JSON and CBOR). */
  export default function kinesalite(options?: KinesaliteOptions): Server;
}

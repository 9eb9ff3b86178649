import { z } from 'zod';

/**
 * The JSON documents the CLI prints with `--json`: one per invocation, on stdout. Scripts may
 * rely on these shapes; fields may be added, never removed.
 */

const count = z.number().int().nonnegative();

/** What one command moved and refused for one table. */
export const TableMovementSchema = z.looseObject({ rows: count, rejected: count });

/** The result of every command that moves data (generate, load, ingest, publish, sync, run). */
export const DataMovementResultSchema = z.looseObject({
  tables: z.record(z.string(), TableMovementSchema),
  rows: count,
  rejected: count,
});
export type DataMovementResult = z.infer<typeof DataMovementResultSchema>;

/** What a command builds before printing: any per-table detail beside `rows` and `rejected`. */
export interface DataMovementDocument {
  tables: Record<string, { rows: number; rejected: number }>;
  rows: number;
  rejected: number;
  [detail: string]: unknown;
}

/** Per catalog table (the catalog in use, so a record rather than fixed keys). */
const tableCounts = z.record(z.string(), count.nullable());

/** `status --json`: what is there now. A null count means that part is not set up yet. */
export const StatusResultSchema = z.object({
  /** The catalog in use: its hash (what run manifests and clean pointers record), its file (null: built-in) and tables. */
  catalog: z.object({
    hash: z.string().regex(/^[0-9a-f]{64}$/),
    file: z.string().nullable(),
    tables: z.array(z.string()),
  }),
  services: z.object({
    running: z.boolean(),
    target: z.enum(['local', 'aws']),
    /** `problem`, when not reachable: which endpoint, from which variable, what went wrong, the next step. */
    s3: z.object({ endpoint: z.string().nullable(), reachable: z.boolean(), problem: z.string().optional() }),
    postgres: z.object({
      host: z.string().nullable(),
      port: z.number().int().nullable(),
      reachable: z.boolean(),
      problem: z.string().optional(),
    }),
    pids: z.array(z.number().int()).optional(),
    /** When nothing is running: how to start it. */
    nextStep: z.string().optional(),
  }),
  /** Row count per catalog table in the warehouse; null = not loaded yet. */
  warehouse: tableCounts,
  /** Row count per catalog table in PostgreSQL; null = not synced yet or unreachable. */
  postgres: tableCounts,
  /** Batch runs and streaming objects in the raw bucket; null = bucket unreachable. */
  lake: z
    .object({
      bucket: z.string(),
      batch: z.record(z.string(), z.object({ committedRuns: count, objects: count })),
      /** Totals over the catalog's streams, and per stream. */
      streaming: z.object({
        objects: count,
        errorObjects: count,
        streams: z.record(z.string(), z.object({ objects: count, errorObjects: count })),
      }),
    })
    .nullable(),
  /** The clean layer per table: its published version (null: never built) and whether new raw inputs await a build; null = bucket unreachable. */
  clean: z
    .record(
      z.string(),
      z.object({
        version: z.string().nullable(),
        rows: count.nullable(),
        files: count,
        bytes: count,
        builtAt: z.string().nullable(),
        stale: z.boolean(),
      }),
    )
    .nullable(),
});
export type StatusResult = z.infer<typeof StatusResultSchema>;

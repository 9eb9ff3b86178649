import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGunzip } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { CleanStore } from '@insightflow/clean-layer';
import { planGeneration, writeStagedTables } from '@insightflow/instacart-generator';
import { Lake } from '@insightflow/lake';
import { S3ObjectStore } from '@insightflow/object-store';
import {
  columnNames,
  instacartCatalog,
  LOCAL_DEFAULTS,
  type ManifestPart,
  sqlType,
  stageKey,
  type TableName,
} from '@insightflow/shared-config';
import { startTestS3 } from '@insightflow/testkit';
import type { ChildArgs } from './childRss.js';
import { type Figure, type Suite, timed } from './harness.js';

/** The benchmarks measure the Instacart demo: the built-in catalog. */
const catalog = instacartCatalog();

/**
 * The clean suite (issue 15's goals): the clean build of every table, run as `insightflow clean`
 * runs it (DuckDB, 256 MB buffer pool, reading and writing through the S3 API), in a child
 * process for its peak RSS, against the anchor: DuckDB's own `COPY (SELECT <typed columns> FROM
 * read_csv(…)) TO … (FORMAT parquet)` over the same raw CSV files on local disk, one table after
 * the other, with DuckDB's default settings (no deduplication, no download, no upload).
 */

const run = promisify(execFile);
const CHILD = path.join(path.dirname(new URL(import.meta.url).pathname), 'childRss.ts');
const RAW = LOCAL_DEFAULTS.rawBucket;
const CLEAN = LOCAL_DEFAULTS.cleanBucket;
const STAGE = LOCAL_DEFAULTS.stageBucket;
/** What `insightflow clean` gives DuckDB (packages/cli/src/localClean.ts, CLEAN_MEMORY_LIMIT). */
const CLEAN_MEMORY_LIMIT = '256MB';
const GOALS = { buildRatio: 0.5, bytesRatio: 0.35, rssMiB: 256 };

/**
 * Commits each staged table as a one-part batch run (what ingest leaves in the lake), from a local
 * plain CSV copy of the staged file (the anchor reads the same copy).
 */
async function commitRuns(stage: S3ObjectStore, raw: S3ObjectStore, runAt: Date, dir: string) {
  const lake = new Lake(raw, catalog);
  const files = new Map<TableName, string>();
  let bytes = 0;
  for (const table of catalog.tableNames()) {
    const staged = stageKey(catalog.table(table), 'bench/');
    const file = path.join(dir, `${table}.csv`);
    const body = (await stage.get(staged)).body;
    if (staged.endsWith('.gz')) await pipeline(body, createGunzip(), createWriteStream(file));
    else await pipeline(body, createWriteStream(file));
    files.set(table, file);
    const key = lake.partKey(table, runAt, 0);
    const info = await raw.upload(key, createReadStream(file), { contentType: 'text/csv' });
    bytes += info.size;
    const part: ManifestPart = { key, rows: 0, bytes: info.size, etag: info.etag };
    await lake.commitRun({
      version: 1,
      table,
      runAt: runAt.toISOString(),
      mode: 'unload',
      kind: 'snapshot',
      source: 'duckdb',
      query: `SELECT * FROM ${table}`,
      columns: columnNames(catalog.table(table)),
      parts: [part],
      rows: 0,
      bytes: info.size,
      startedAt: runAt.toISOString(),
      finishedAt: runAt.toISOString(),
    });
  }
  return { files, bytes };
}

/** The anchor: DuckDB's own typed COPY of each raw CSV file to Parquet on local disk. */
async function anchorCopies(files: Map<TableName, string>, dir: string): Promise<{ seconds: number; rows: number }> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    let rows = 0;
    const { seconds } = await timed(async () => {
      for (const [table, file] of files) {
        const columns = catalog.table(table).columns.map((c) => `'${c.name}': '${sqlType(c, 'duckdb')}'`);
        const result = await connection.runAndReadAll(
          `COPY (SELECT * FROM read_csv('${file}', header = true, columns = {${columns.join(', ')}})) TO '${path.join(dir, `${table}.parquet`)}' (FORMAT parquet)`,
        );
        rows += Number(result.getRowsJS()[0]?.[0] ?? 0);
      }
    });
    return { seconds, rows };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export const cleanSuite: Suite = {
  name: 'clean',
  async run({ scale, log }): Promise<Figure[]> {
    const s3 = await startTestS3([STAGE, RAW, CLEAN]);
    const dir = await mkdtemp(path.join(tmpdir(), 'insightflow-bench-clean-'));
    try {
      log(`clean: generating scale ${scale} and committing one run per table`);
      const stage = new S3ObjectStore(s3.client, STAGE);
      const raw = new S3ObjectStore(s3.client, RAW);
      await writeStagedTables({ store: stage, prefix: 'bench/', plan: planGeneration({ scale, seed: 42 }) });
      await mkdir(path.join(dir, 'raw'), { recursive: true });
      const { files, bytes: rawBytes } = await commitRuns(
        stage,
        raw,
        new Date(Date.UTC(2026, 11, 1, 6, 0)),
        path.join(dir, 'raw'),
      );

      log('clean: the clean build of every table (child process, as `insightflow clean`)');
      const args: ChildArgs = {
        s3Endpoint: s3.endpoint,
        rawBucket: RAW,
        cleanBucket: CLEAN,
        memoryLimit: CLEAN_MEMORY_LIMIT,
      };
      const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, 'clean', JSON.stringify(args)], {
        maxBuffer: 1 << 20,
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      });
      const build = JSON.parse(stdout) as { rows: number; seconds: number; maxRssBytes: number };

      log('clean: anchor (DuckDB COPY … TO parquet over the same CSV on local disk)');
      const anchor = await anchorCopies(files, dir);

      const clean = new CleanStore(new S3ObjectStore(s3.client, CLEAN), catalog);
      let cleanBytes = 0;
      let cleanFiles = 0;
      let largestFile = 0;
      for (const table of catalog.tableNames()) {
        const pointer = await clean.pointer(table);
        for (const f of pointer?.files ?? []) {
          cleanBytes += f.bytes;
          cleanFiles++;
          largestFile = Math.max(largestFile, f.bytes);
        }
      }
      const mib = (b: number) => b / 1024 / 1024;
      const buildRate = build.rows / build.seconds;
      const anchorRate = anchor.rows / anchor.seconds;
      return [
        {
          suite: 'clean',
          name: `clean build, every table (${build.rows.toLocaleString('en')} rows, ${build.seconds.toFixed(2)} s)`,
          value: buildRate,
          unit: 'rows/s',
          anchor: { name: `DuckDB COPY csv→parquet, local disk (${anchor.seconds.toFixed(2)} s)`, value: anchorRate },
          ratio: buildRate / anchorRate,
          note: `goal ≥ ${GOALS.buildRatio}`,
        },
        {
          suite: 'clean',
          name: `clean Parquet bytes (${cleanFiles} files, largest ${mib(largestFile).toFixed(1)} MiB)`,
          value: mib(cleanBytes),
          unit: 'MiB',
          anchor: { name: 'raw CSV bytes', value: mib(rawBytes) },
          ratio: cleanBytes / rawBytes,
          note: `goal ≤ ${GOALS.bytesRatio}`,
        },
        {
          suite: 'clean',
          name: 'clean build peak RSS',
          value: mib(build.maxRssBytes),
          unit: 'MiB',
          note: `goal < ${GOALS.rssMiB} MiB`,
        },
      ];
    } finally {
      await s3.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};

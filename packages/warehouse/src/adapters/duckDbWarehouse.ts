import { access } from 'node:fs/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { quoteIdentifier, type TableName } from '@insightflow/shared-config';
import type { Warehouse } from '../warehouse.js';

/** Options for opening the local DuckDB warehouse. */
export interface DuckDbWarehouseOptions {
  /** Path to the database file. */
  path: string;
  /** Open without taking the write lock (for status reports). */
  readOnly?: boolean;
}

/** The local warehouse: a DuckDB database file. */
export class DuckDbWarehouse implements Warehouse {
  public readonly kind = 'duckdb' as const;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: Awaited<ReturnType<DuckDBInstance['connect']>>,
  ) {}

  /** Opens (creating when writable) the database file. */
  public static async open(options: DuckDbWarehouseOptions): Promise<DuckDbWarehouse> {
    const instance = await DuckDBInstance.create(
      options.path,
      options.readOnly ? { access_mode: 'READ_ONLY' } : { access_mode: 'READ_WRITE' },
    );
    return new DuckDbWarehouse(instance, await instance.connect());
  }

  /** True when the database file exists (nothing has been loaded otherwise). */
  public static async exists(path: string): Promise<boolean> {
    return access(path).then(
      () => true,
      () => false,
    );
  }

  public async countRows(table: TableName): Promise<number | undefined> {
    const found = await this.connection.runAndReadAll(
      "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' AND table_name = $1",
      [table],
    );
    if (Number(found.getRows()[0]?.[0] ?? 0) === 0) return undefined;
    const result = await this.connection.runAndReadAll(`SELECT count(*) FROM ${quoteIdentifier(table)}`);
    return Number(result.getRows()[0]?.[0] ?? 0);
  }

  public async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

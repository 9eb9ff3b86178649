import type { SourceColumn, SourceTable } from '../../src/index.js';

/** A source column as an information schema would describe it; nullable, no length or precision. */
export function sourceColumn(name: string, dataType: string, overrides: Partial<SourceColumn> = {}): SourceColumn {
  return {
    name,
    dataType,
    nullable: true,
    characterMaximumLength: null,
    numericPrecision: null,
    numericScale: null,
    ...overrides,
  };
}

/** A source table with the given columns and primary key. */
export function sourceTable(name: string, columns: SourceColumn[], primaryKey: string[] = []): SourceTable {
  return { name, columns, primaryKey };
}

import { type ColumnType, parseColumnType } from './columnTypes.js';
import { InsightFlowError } from './errors.js';

/**
 * What a table's schema change means, by the catalog's `schemaChanges` policy: which changes a
 * destination (the warehouse, PostgreSQL) applies in place and which it refuses because they
 * could lose data. One pure function, {@link planSchemaChange}, so every destination judges a
 * change the same way; each adapter only renders the applied changes as its own DDL.
 */

/** The schema-change policy of a catalog. */
export type SchemaChangePolicy = 'evolve' | 'freeze';

/** A column as a destination holds it, or as the catalog declares it. */
export interface ColumnShape {
  name: string;
  type: ColumnType | string;
  nullable: boolean;
}

/** A table's shape: its columns and its primary key. */
export interface TableShape {
  columns: readonly ColumnShape[];
  primaryKey: readonly string[];
}

/** A change a destination applies in place, keeping every value it holds. */
export type AppliedChange =
  | { kind: 'add'; column: ColumnShape }
  | { kind: 'widen'; column: string; from: string; to: string }
  /** NOT NULL becomes nullable: in the catalog, or because the catalog no longer has the column. */
  | { kind: 'allow-null'; column: string; type: string };

/** A change refused: what it was and how to go forward. */
export interface RefusedChange {
  table: string;
  column: string;
  from: string;
  to: string;
  reason: string;
  fix: string;
}

/** What {@link planSchemaChange} decided for one table. */
export interface SchemaChangePlan {
  table: string;
  applied: AppliedChange[];
  refused: RefusedChange[];
}

/** Every whole-number and floating type, by how many values it holds exactly. */
const INTEGER_DIGITS: Record<string, number> = { smallint: 5, integer: 10, bigint: 19 };
/** Integers a floating type holds exactly: real has a 24-bit, double a 53-bit significand. */
const FLOAT_HOLDS: Record<string, readonly string[]> = { real: ['smallint'], double: ['smallint', 'integer', 'real'] };

/**
 * True when every value of `from` is a value of `to`, unchanged: the widenings a destination
 * applies with an in-place type change.
 */
export function isWidening(from: string, to: string): boolean {
  if (from === to) return true;
  const a = parseColumnType(from);
  const b = parseColumnType(to);
  if (!a || !b) return false;
  const aDigits = INTEGER_DIGITS[a.base];
  const bDigits = INTEGER_DIGITS[b.base];
  if (aDigits !== undefined && bDigits !== undefined) return bDigits >= aDigits;
  if (aDigits !== undefined && b.base === 'decimal') return b.precision - b.scale >= aDigits;
  // decimal(p,0) holds at most p digits; an integer type holds every number of one digit fewer
  // than its largest value has (smallint: 4, 32 767).
  if (a.base === 'decimal' && bDigits !== undefined) return a.scale === 0 && a.precision <= bDigits - 1;
  if (a.base === 'decimal' && b.base === 'decimal')
    return b.scale >= a.scale && b.precision - b.scale >= a.precision - a.scale;
  if (FLOAT_HOLDS[b.base]?.includes(a.base)) return true;
  if (a.base === 'varchar' && b.base === 'varchar') return b.length >= a.length;
  if (a.base === 'varchar' && b.base === 'text') return true;
  return false;
}

/** One spelling per type (`decimal(10, 2)` is `decimal(10,2)`), so spacing is never a change. */
function canonicalType(type: string): string {
  const parsed = parseColumnType(type);
  if (!parsed) return type;
  if (parsed.base === 'decimal') return `decimal(${parsed.precision},${parsed.scale})`;
  if (parsed.base === 'varchar') return `varchar(${parsed.length})`;
  return parsed.base;
}

const nullability = (c: ColumnShape) => `${c.type}${c.nullable ? '' : ' NOT NULL'}`;

/** Options of {@link planSchemaChange}. */
export interface SchemaChangeOptions {
  /**
   * The way forward for a change that needs the table rebuilt, as the destination does it;
   * by default a rebuild of the destination's table from the warehouse.
   */
  rebuild?: string;
}

/**
 * Compares what a destination holds (`current`) with what the catalog declares (`declared`) and
 * decides, by `policy`:
 * - `evolve`: a new column is added (nullable: rows loaded before hold NULL); a widening is
 *   applied; a column the catalog no longer has is kept, and holds NULL from now on (so one that
 *   is NOT NULL is refused); NOT NULL may be dropped. A narrowing, a type change with no safe cast,
 *   a new NOT NULL column or constraint, and a changed primary key are refused.
 * - `freeze`: every difference is refused.
 * Column order is not a change: loads match columns by name.
 */
export function planSchemaChange(
  table: string,
  current: TableShape,
  declared: TableShape,
  policy: SchemaChangePolicy,
  options: SchemaChangeOptions = {},
): SchemaChangePlan {
  const plan: SchemaChangePlan = { table, applied: [], refused: [] };
  const rebuild =
    options.rebuild ??
    `rebuild ${table} from the warehouse (drop it in the destination, then sync with --mode full), or change the catalog back`;
  const refuse = (column: string, from: string, to: string, reason: string, fix = rebuild) =>
    plan.refused.push({ table, column, from, to, reason, fix });
  const frozen = policy === 'freeze';
  const freezeFix = `set schemaChanges: evolve in the catalog to let this change through, or change the catalog back`;
  const held = new Map(current.columns.map((c) => [c.name, c]));
  const wanted = new Map(declared.columns.map((c) => [c.name, c]));

  if (current.primaryKey.join(',') !== declared.primaryKey.join(',')) {
    const show = (key: readonly string[]) => (key.length ? `(${key.join(', ')})` : 'no key');
    refuse('(primary key)', show(current.primaryKey), show(declared.primaryKey), 'the primary key changed');
  }
  for (const column of declared.columns) {
    const before = held.get(column.name);
    if (!before) {
      if (frozen) refuse(column.name, '(absent)', nullability(column), 'a column was added', freezeFix);
      else if (!column.nullable) {
        refuse(
          column.name,
          '(absent)',
          nullability(column),
          'a new column is NOT NULL, but the rows already loaded have no value for it',
          `declare ${column.name} nullable: true, or ${rebuild}`,
        );
      } else plan.applied.push({ kind: 'add', column });
      continue;
    }
    if (canonicalType(before.type) !== canonicalType(column.type)) {
      if (frozen) refuse(column.name, before.type, column.type, 'the type changed', freezeFix);
      else if (isWidening(before.type, column.type)) {
        plan.applied.push({ kind: 'widen', column: column.name, from: before.type, to: column.type });
      } else {
        const narrowing = isWidening(column.type, before.type);
        refuse(
          column.name,
          before.type,
          column.type,
          narrowing ? 'a narrowing could lose values already loaded' : 'no cast keeps every value already loaded',
        );
      }
    }
    if (before.nullable !== column.nullable) {
      if (frozen) refuse(column.name, nullability(before), nullability(column), 'NOT NULL changed', freezeFix);
      else if (column.nullable) plan.applied.push({ kind: 'allow-null', column: column.name, type: column.type });
      else
        refuse(
          column.name,
          nullability(before),
          nullability(column),
          'NOT NULL was added; rows already loaded may hold NULL',
        );
    }
  }
  for (const column of current.columns) {
    if (wanted.has(column.name)) continue;
    if (frozen) refuse(column.name, nullability(column), '(removed)', 'a column was removed', freezeFix);
    else if (!column.nullable) {
      refuse(
        column.name,
        nullability(column),
        '(removed)',
        'the column is NOT NULL here, so rows loaded from now on, which lack it, could not be stored',
        `keep ${column.name} in the catalog, or ${rebuild}`,
      );
    }
  }
  return plan;
}

/** A schema change the catalog's policy refuses: nothing was changed. Exit code 1. */
export class SchemaChangeRefusedError extends InsightFlowError {
  public readonly refused: readonly RefusedChange[];

  /** @param where the destination that holds the old schema (`PostgreSQL`, `the warehouse`). */
  public constructor(where: string, refused: readonly RefusedChange[]) {
    const lines = refused.map((r) => `  - ${r.table}.${r.column}: ${r.from} → ${r.to}: ${r.reason}; ${r.fix}`);
    super(
      `Refused ${refused.length === 1 ? 'a schema change' : `${refused.length} schema changes`} in ${where}; nothing was changed:\n${lines.join('\n')}`,
    );
    this.name = 'SchemaChangeRefusedError';
    this.refused = refused;
  }
}

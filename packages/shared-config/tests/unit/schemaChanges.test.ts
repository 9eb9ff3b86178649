import { describe, expect, it } from 'vitest';
import {
  type ColumnShape,
  isWidening,
  planSchemaChange,
  SchemaChangeRefusedError,
  type TableShape,
} from '../../src/index.js';

const column = (name: string, type: string, nullable = true): ColumnShape => ({ name, type, nullable });
const shape = (columns: ColumnShape[], primaryKey: string[] = ['id']): TableShape => ({ columns, primaryKey });
const held = shape([column('id', 'integer', false), column('note', 'text')]);

describe('Function: isWidening()', () => {
  it.each([
    ['smallint', 'integer'],
    ['integer', 'bigint'],
    ['smallint', 'bigint'],
    ['varchar(10)', 'varchar(20)'],
    ['varchar(10)', 'text'],
    ['decimal(10,2)', 'decimal(12,2)'],
    ['decimal(10,2)', 'decimal(12,3)'],
    ['integer', 'decimal(12,2)'],
    ['decimal(4,0)', 'smallint'],
    ['decimal(18,0)', 'bigint'],
    ['real', 'double'],
    ['smallint', 'real'],
    ['integer', 'double'],
  ])('%s → %s is a widening', (from, to) => {
    expect(isWidening(from, to)).toBe(true);
  });

  it.each([
    ['integer', 'smallint'],
    ['bigint', 'integer'],
    ['varchar(20)', 'varchar(10)'],
    ['text', 'varchar(255)'],
    ['decimal(12,2)', 'decimal(10,2)'],
    ['decimal(10,2)', 'decimal(10,3)'],
    ['decimal(5,0)', 'smallint'],
    ['decimal(10,1)', 'bigint'],
    ['double', 'real'],
    ['bigint', 'double'],
    ['integer', 'real'],
    ['text', 'integer'],
    ['timestamp', 'timestamptz'],
  ])('%s → %s is not a widening', (from, to) => {
    expect(isWidening(from, to)).toBe(false);
  });
});

describe('Function: planSchemaChange()', () => {
  it('plans nothing when the shapes are equal, whatever the column order or a type’s spacing', () => {
    const declared = shape([column('note', 'text'), column('id', 'integer', false)]);
    expect(planSchemaChange('t', held, declared, 'evolve')).toEqual({ table: 't', applied: [], refused: [] });
    const spaced = shape([column('id', 'decimal(10,2)')], []);
    const written = shape([column('id', 'decimal(10, 2)')], []);
    expect(planSchemaChange('t', spaced, written, 'freeze').refused).toEqual([]);
  });

  it('evolve: adds a new nullable column', () => {
    const declared = shape([...held.columns, column('amount', 'decimal(18,4)')]);
    expect(planSchemaChange('t', held, declared, 'evolve')).toEqual({
      table: 't',
      applied: [{ kind: 'add', column: column('amount', 'decimal(18,4)') }],
      refused: [],
    });
  });

  it.each([
    ['smallint', 'integer'],
    ['integer', 'bigint'],
    ['varchar(10)', 'varchar(20)'],
    ['decimal(10,2)', 'decimal(12,2)'],
    ['real', 'double'],
  ])('evolve: widens %s → %s', (from, to) => {
    const plan = planSchemaChange('t', shape([column('v', from)], []), shape([column('v', to)], []), 'evolve');
    expect(plan.applied).toEqual([{ kind: 'widen', column: 'v', from, to }]);
    expect(plan.refused).toEqual([]);
  });

  it.each([
    ['integer', 'smallint', 'a narrowing could lose values already loaded'],
    ['varchar(20)', 'varchar(10)', 'a narrowing could lose values already loaded'],
    ['decimal(12,2)', 'decimal(10,2)', 'a narrowing could lose values already loaded'],
    ['double', 'real', 'a narrowing could lose values already loaded'],
    ['text', 'integer', 'no cast keeps every value already loaded'],
  ])('evolve: refuses %s → %s, naming the table, column, both types and the way forward', (from, to, reason) => {
    const plan = planSchemaChange('t', shape([column('v', from)], []), shape([column('v', to)], []), 'evolve');
    expect(plan.applied).toEqual([]);
    expect(plan.refused).toEqual([
      { table: 't', column: 'v', from, to, reason, fix: expect.stringMatching(/^rebuild t from the warehouse/) },
    ]);
  });

  it('evolve: a removed nullable column is kept (it holds NULL from now on); a removed NOT NULL one is refused', () => {
    const declared = shape([column('id', 'integer', false)]);
    expect(planSchemaChange('t', held, declared, 'evolve')).toEqual({ table: 't', applied: [], refused: [] });
    const refused = planSchemaChange('t', held, shape([column('note', 'text')], []), 'evolve').refused;
    expect(refused).toContainEqual(
      expect.objectContaining({
        column: 'id',
        from: 'integer NOT NULL',
        to: '(removed)',
        fix: expect.stringMatching(/^keep id/),
      }),
    );
  });

  it('evolve: drops NOT NULL, refuses adding it, and refuses a new NOT NULL column', () => {
    const relaxed = shape([column('id', 'integer'), column('note', 'text')]);
    expect(planSchemaChange('t', held, relaxed, 'evolve').applied).toEqual([
      { kind: 'allow-null', column: 'id', type: 'integer' },
    ]);
    const tightened = shape([column('id', 'integer', false), column('note', 'text', false)]);
    expect(planSchemaChange('t', held, tightened, 'evolve').refused).toEqual([
      expect.objectContaining({ column: 'note', from: 'text', to: 'text NOT NULL' }),
    ]);
    const added = shape([...held.columns, column('code', 'text', false)]);
    expect(planSchemaChange('t', held, added, 'evolve')).toMatchObject({
      applied: [],
      refused: [
        {
          column: 'code',
          from: '(absent)',
          to: 'text NOT NULL',
          fix: expect.stringMatching(/^declare code nullable: true/),
        },
      ],
    });
  });

  it('refuses a changed primary key, in either policy', () => {
    const rekeyed = shape(held.columns as ColumnShape[], ['id', 'note']);
    for (const policy of ['evolve', 'freeze'] as const) {
      expect(planSchemaChange('t', held, rekeyed, policy).refused).toEqual([
        expect.objectContaining({
          column: '(primary key)',
          from: '(id)',
          to: '(id, note)',
          reason: 'the primary key changed',
        }),
      ]);
    }
    expect(planSchemaChange('t', held, shape(held.columns as ColumnShape[], []), 'evolve').refused).toEqual([
      expect.objectContaining({ from: '(id)', to: 'no key' }),
    ]);
  });

  it('freeze: refuses every change, even those evolve applies, and applies none', () => {
    const declared = shape([column('id', 'bigint'), column('amount', 'real')]);
    const plan = planSchemaChange('t', held, declared, 'freeze');
    expect(plan.applied).toEqual([]);
    expect(plan.refused.map((r) => [r.column, r.from, r.to])).toEqual([
      ['id', 'integer', 'bigint'],
      ['id', 'integer NOT NULL', 'bigint'],
      ['amount', '(absent)', 'real'],
      ['note', 'text', '(removed)'],
    ]);
    for (const r of plan.refused) expect(r.fix).toMatch(/schemaChanges: evolve/);
  });

  it('takes the destination’s own way forward for a rebuild', () => {
    const plan = planSchemaChange(
      't',
      shape([column('v', 'integer')], []),
      shape([column('v', 'smallint')], []),
      'evolve',
      {
        rebuild: 'drop t in the warehouse and load it again',
      },
    );
    expect(plan.refused[0]?.fix).toBe('drop t in the warehouse and load it again');
  });
});

describe('Error: SchemaChangeRefusedError', () => {
  it('names where, and each refused change’s table, column, old and new type, reason and fix', () => {
    const { refused } = planSchemaChange(
      'orders',
      shape([column('v', 'integer')], []),
      shape([column('v', 'smallint')], []),
      'evolve',
    );
    const error = new SchemaChangeRefusedError('the warehouse', refused);
    expect(error.name).toBe('SchemaChangeRefusedError');
    expect(error.kind).toBe('terminal');
    expect(error.refused).toEqual(refused);
    expect(error.message).toMatch(
      /^Refused a schema change in the warehouse; nothing was changed:\n {2}- orders\.v: integer → smallint: a narrowing could lose values already loaded; rebuild orders/,
    );
  });
});

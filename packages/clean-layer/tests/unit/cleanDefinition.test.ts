import { instacartCatalog } from '@insightflow/shared-config';
import { describe, expect, it } from 'vitest';
import {
  CleanDialect,
  cleanSchema,
  cleanTableDefinition,
  renderCleanSelect,
  renderRejectsSelect,
} from '../../src/index.js';

const orders = cleanTableDefinition(instacartCatalog().table('orders'));

describe('one clean definition per table, rendered per dialect', () => {
  it('puts provenance after the catalog columns and partition columns last, as Hive writers and the Glue table want', () => {
    const names = cleanSchema(orders).map((c) => c.name);
    expect(names.slice(-4)).toEqual(['_source', '_source_key', '_source_at', 'eval_set']);
    expect(names[0]).toBe('order_id');
  });

  it('deduplicates streamed tables by load order in both dialects, with the types each engine spells', () => {
    const duck = renderCleanSelect(orders, CleanDialect.duckdb, { stream: true });
    const athena = renderCleanSelect(orders, CleanDialect.athena, { stream: true });
    for (const sql of [duck, athena]) {
      expect(sql).toContain('row_number() OVER (PARTITION BY "order_id" ORDER BY "_input", "_line")');
      expect(sql).toContain('FROM raw_stream');
      expect(sql).toContain('JOIN raw_inputs AS i');
    }
    expect(duck).toContain('TRY_CAST("order_number" AS SMALLINT)');
    expect(athena).toContain('TRY_CAST("order_number" AS smallint)');
    expect(athena).toContain('TRY_CAST("days_since_prior_order" AS real)');
  });

  it('uses a spilling DISTINCT ON in DuckDB for a table without a stream, and keeps every row of a keyless table', () => {
    const products = cleanTableDefinition(instacartCatalog().table('products'));
    expect(renderCleanSelect(products, CleanDialect.duckdb, { stream: false })).toContain(
      'SELECT DISTINCT ON ("product_id")',
    );
    expect(renderCleanSelect(products, CleanDialect.athena, { stream: false })).toContain('row_number()');
    const keyless = { ...products, primaryKey: [] };
    const sql = renderCleanSelect(keyless, CleanDialect.duckdb, { stream: false });
    expect(sql).not.toContain('DISTINCT');
    expect(sql).not.toContain('row_number');
  });

  it('names the unreadable record or the first column at fault in a reject; text columns never reject', () => {
    const rejects = renderRejectsSelect(orders, CleanDialect.duckdb, { stream: false });
    expect(rejects).toContain(`THEN 'order_id'`);
    expect(rejects).toContain(`THEN 'does not cast to smallint'`);
    expect(rejects).toContain(`WHEN "_invalid" IS NOT NULL THEN "_invalid"`);
    expect(rejects).not.toContain(`THEN 'eval_set'`);
  });
});

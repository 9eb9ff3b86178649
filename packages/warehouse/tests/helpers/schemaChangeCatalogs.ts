import { Catalog, type CatalogDocument, PLAIN_COLUMN_TYPES } from '@insightflow/shared-config';

type Columns = CatalogDocument['tables'][number]['columns'];
type Policy = 'evolve' | 'freeze';

/** A catalog of `shipments` (keyed by shipment_id) with these columns, and `carriers` beside it. */
export function shipmentsCatalog(
  columns: Columns,
  options: { policy?: Policy; carriers?: Columns; key?: string[] } = {},
) {
  return Catalog.fromDocument(
    {
      tables: [
        { name: 'shipments', primaryKey: options.key ?? ['shipment_id'], columns },
        { name: 'carriers', columns: options.carriers ?? [{ name: 'carrier_id', type: 'integer', nullable: false }] },
      ],
      schemaChanges: options.policy ?? 'evolve',
    },
    'a schema-change test catalog',
  );
}

/** What the warehouse holds first. */
export const V1_COLUMNS: Columns = [
  { name: 'shipment_id', type: 'bigint', nullable: false },
  { name: 'qty', type: 'smallint' },
  { name: 'label', type: 'varchar(10)' },
  { name: 'price', type: 'decimal(10,2)' },
  { name: 'ratio', type: 'real' },
  { name: 'code', type: 'text', nullable: false },
];

/** Adds `note`; widens qty, label, price and ratio; drops NOT NULL from code. */
export const V2_COLUMNS: Columns = [
  { name: 'shipment_id', type: 'bigint', nullable: false },
  { name: 'qty', type: 'integer' },
  { name: 'label', type: 'varchar(20)' },
  { name: 'price', type: 'decimal(12,2)' },
  { name: 'ratio', type: 'double' },
  { name: 'code', type: 'text' },
  { name: 'note', type: 'text' },
];

/** One column of every catalog type (decimal and varchar with parameters). */
export const EVERY_TYPE_COLUMNS: Columns = [
  { name: 'id', type: 'bigint', nullable: false },
  ...PLAIN_COLUMN_TYPES.map((type) => ({ name: `c_${type}`, type })),
  { name: 'c_decimal', type: 'decimal(18,4)' },
  { name: 'c_varchar', type: 'varchar(12)' },
];

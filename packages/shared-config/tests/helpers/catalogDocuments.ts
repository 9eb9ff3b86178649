/** The catalog document of the public contract's example, as a fresh object per call. */
export function contractExample() {
  return {
    tables: [
      {
        name: 'shipments',
        primaryKey: ['shipment_id'],
        stage: 'custom/shipments/',
        description: 'One row per shipment.',
        columns: [
          { name: 'shipment_id', type: 'bigint', nullable: false },
          { name: 'amount', type: 'decimal(18,4)' },
        ],
      },
    ],
    streams: [{ name: 'shipment_updates', table: 'shipments' }],
    schemaChanges: 'evolve',
  };
}

/** The same example as YAML text. */
export const CONTRACT_EXAMPLE_YAML = `
tables:
  - name: shipments              # [a-z_][a-z0-9_]{0,62}
    primaryKey: [shipment_id]
    stage: custom/shipments/
    description: One row per shipment.
    columns:
      - { name: shipment_id, type: bigint, nullable: false }
      - { name: amount, type: "decimal(18,4)" }
streams:
  - { name: shipment_updates, table: shipments }
schemaChanges: evolve
`;

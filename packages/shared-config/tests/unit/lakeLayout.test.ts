import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildFirehoseObjectName,
  buildManifestKey,
  buildPartKey,
  buildRunFolder,
  buildStreamingErrorFolder,
  buildStreamingFolder,
  Catalog,
  firehosePrefixes,
  formatWindowTimestamp,
  instacartCatalog,
  LakeKeyError,
  parseManifestKey,
  parsePartKey,
  parseRunFolder,
  parseStreamingKey,
  parseWindowTimestamp,
  streamingErrorPrefix,
  streamingPrefix,
} from '../../src/index.js';

const catalog = instacartCatalog();
const tableArb = fc.constantFrom(...catalog.tableNames());
// Any minute from year 1000 to 9999, UTC.
const minuteArb = fc
  .integer({ min: Date.UTC(1000, 0, 1) / 60_000, max: Date.UTC(9999, 11, 31, 23, 59) / 60_000 })
  .map((m) => new Date(m * 60_000));
const partArb = fc.integer({ min: 0, max: 999_999_999 });

describe('Function: buildPartKey()', () => {
  it('writes the documented layout in UTC, whatever the local time zone', () => {
    const key = buildPartKey(catalog, { table: 'orders', runAt: new Date('2026-11-23T14:05:59.999+11:00'), part: 3 });
    expect(key).toBe('data/batch/orders/year=2026/month=11/day=23/hhmm=0305/orders_part3.csv');
  });

  it('round-trips through parsePartKey for every table, minute and part number', () => {
    fc.assert(
      fc.property(tableArb, minuteArb, partArb, (table, runAt, part) => {
        const parsed = parsePartKey(catalog, buildPartKey(catalog, { table, runAt, part }));
        expect(parsed).toEqual({ table, runAt, part });
      }),
    );
  });

  it('truncates seconds, so every part of one run shares one folder', () => {
    fc.assert(
      fc.property(tableArb, minuteArb, fc.integer({ min: 0, max: 59_999 }), (table, runAt, ms) => {
        const later = new Date(runAt.getTime() + ms);
        expect(buildRunFolder(catalog, table, later)).toBe(buildRunFolder(catalog, table, runAt));
      }),
    );
  });

  it('refuses a negative or fractional part number', () => {
    expect(() => buildPartKey(catalog, { table: 'orders', runAt: new Date(), part: -1 })).toThrow(LakeKeyError);
    expect(() => buildPartKey(catalog, { table: 'orders', runAt: new Date(), part: 1.5 })).toThrow(LakeKeyError);
  });

  it('refuses an unknown table and an invalid date', () => {
    // biome-ignore lint/suspicious/noExplicitAny: a caller outside TypeScript's reach
    expect(() => buildPartKey(catalog, { table: 'users' as any, runAt: new Date(), part: 0 })).toThrow(/unknown table/);
    expect(() => buildPartKey(catalog, { table: 'orders', runAt: new Date('nope'), part: 0 })).toThrow(
      /not a valid date/,
    );
  });
});

describe('Function: parsePartKey()', () => {
  const valid = 'data/batch/aisles/year=2026/month=02/day=28/hhmm=2359/aisles_part0.csv';

  it('accepts a well-formed key', () => {
    expect(parsePartKey(catalog, valid)).toEqual({ table: 'aisles', runAt: new Date('2026-02-28T23:59:00Z'), part: 0 });
  });

  it.each([
    ['a path traversal', 'data/batch/aisles/year=2026/month=02/day=28/hhmm=2359/../aisles_part0.csv'],
    ['a traversal in the table', 'data/batch/../aisles/year=2026/month=02/day=28/hhmm=2359/aisles_part0.csv'],
    ['an unknown table', 'data/batch/users/year=2026/month=02/day=28/hhmm=2359/users_part0.csv'],
    ['a file named for another table', 'data/batch/aisles/year=2026/month=02/day=28/hhmm=2359/orders_part0.csv'],
    ['February 30th', 'data/batch/aisles/year=2026/month=02/day=30/hhmm=2359/aisles_part0.csv'],
    ['month 13', 'data/batch/aisles/year=2026/month=13/day=01/hhmm=0000/aisles_part0.csv'],
    ['hour 24', 'data/batch/aisles/year=2026/month=01/day=01/hhmm=2400/aisles_part0.csv'],
    ['minute 60', 'data/batch/aisles/year=2026/month=01/day=01/hhmm=1260/aisles_part0.csv'],
    ['a padded part number', 'data/batch/aisles/year=2026/month=01/day=01/hhmm=1200/aisles_part01.csv'],
    ['a leading slash', `/${valid}`],
    ['a trailing suffix', `${valid}.tmp`],
    ['a different extension', valid.replace('.csv', '.json')],
    ['an upper-case table', valid.replaceAll('aisles', 'AISLES')],
    ['a NUL byte', valid.replace('aisles_part0', 'aisles\u0000_part0')],
    ['an empty string', ''],
  ])('refuses %s', (_, key) => {
    expect(() => parsePartKey(catalog, key)).toThrow(LakeKeyError);
  });

  it('never accepts a key that buildPartKey would not produce', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (key) => {
        let parsed: ReturnType<typeof parsePartKey>;
        try {
          parsed = parsePartKey(catalog, key);
        } catch (error) {
          expect(error).toBeInstanceOf(LakeKeyError);
          return;
        }
        expect(buildPartKey(catalog, parsed)).toBe(key);
      }),
    );
  });

  it('names the key and the expected form in its error', () => {
    expect(() => parsePartKey(catalog, 'data/batch/users/x.csv')).toThrow(
      /"data\/batch\/users\/x.csv".*data\/batch\/<table>\/year=YYYY/,
    );
  });
});

describe('Function: buildManifestKey()', () => {
  it('sits in the run folder and round-trips', () => {
    fc.assert(
      fc.property(tableArb, minuteArb, (table, runAt) => {
        const key = buildManifestKey(catalog, table, runAt);
        expect(key.startsWith(buildRunFolder(catalog, table, runAt))).toBe(true);
        expect(parseManifestKey(catalog, key)).toEqual({ table, runAt });
        expect(parseRunFolder(catalog, buildRunFolder(catalog, table, runAt))).toEqual({ table, runAt });
      }),
    );
  });
});

describe('Function: parseStreamingKey()', () => {
  it('reads the arrival minute of an object Firehose named', () => {
    const at = new Date('2026-11-23T14:05:07Z');
    const key = `${buildStreamingFolder(catalog, 'orders', at)}${buildFirehoseObjectName('insightflow-dev-orders', 1, at, 'a1b2c3')}`;
    expect(key).toBe(
      'data/streaming/orders/year=2026/month=11/day=23/hhmm=1405/insightflow-dev-orders-1-2026-11-23-14-05-07-a1b2c3',
    );
    expect(parseStreamingKey(catalog, key)).toEqual({
      stream: 'orders',
      arrivedAt: new Date('2026-11-23T14:05:00Z'),
      objectName: 'insightflow-dev-orders-1-2026-11-23-14-05-07-a1b2c3',
    });
  });

  it.each([
    'data/streaming/orders/year=2026/month=11/day=23/hhmm=1405/../secret',
    'data/streaming/orders/year=2026/month=11/day=23/hhmm=1405/.hidden',
    'data/streaming/orders/year=2026/month=11/day=31/hhmm=1405/x',
    'data/streaming/orders_error/processing-failed/year=2026/month=11/day=23/x',
    'data/streaming/shipment_updates/year=2026/month=11/day=23/hhmm=1405/x',
  ])('refuses %s', (key) => {
    expect(() => parseStreamingKey(catalog, key)).toThrow(LakeKeyError);
  });

  it('puts processing failures under the error prefix by type', () => {
    expect(buildStreamingErrorFolder(catalog, 'orders', 'processing-failed', new Date('2026-01-02T03:04:05Z'))).toBe(
      'data/streaming/orders_error/processing-failed/year=2026/month=01/day=02/',
    );
    expect(() => buildStreamingErrorFolder(catalog, 'orders', '../x', new Date())).toThrow(LakeKeyError);
  });

  describe('with a catalog of two streams', () => {
    const twoStreams = Catalog.fromDocument(
      {
        tables: [
          { name: 'shipments', primaryKey: ['shipment_id'], columns: [{ name: 'shipment_id', type: 'bigint' }] },
          { name: 'events', columns: [{ name: 'body', type: 'text' }] },
        ],
        streams: [
          { name: 'shipment_updates', table: 'shipments' },
          { name: 'clicks', table: 'events' },
        ],
      },
      'two streams',
    );

    it('gives each stream its own data and error prefix, and reads the stream back from a key', () => {
      const at = new Date('2026-11-23T14:05:07Z');
      expect(streamingPrefix(twoStreams, 'clicks')).toBe('data/streaming/clicks/');
      expect(streamingErrorPrefix(twoStreams, 'clicks')).toBe('data/streaming/clicks_error/');
      expect(firehosePrefixes(twoStreams, 'shipment_updates')).toEqual({
        data: 'data/streaming/shipment_updates/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hhmm=!{timestamp:HHmm}/',
        error:
          'data/streaming/shipment_updates_error/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/',
      });
      const key = `${buildStreamingFolder(twoStreams, 'clicks', at)}${buildFirehoseObjectName('insightflow-dev-clicks', 1, at, 'x')}`;
      expect(parseStreamingKey(twoStreams, key)).toMatchObject({
        stream: 'clicks',
        arrivedAt: new Date('2026-11-23T14:05:00Z'),
      });
    });

    it('refuses a stream the catalog does not have, in a key or a prefix', () => {
      expect(() => streamingPrefix(twoStreams, 'orders')).toThrow(LakeKeyError);
      expect(() =>
        parseStreamingKey(twoStreams, 'data/streaming/orders/year=2026/month=11/day=23/hhmm=1405/x'),
      ).toThrow(/unknown stream "orders"/);
    });
  });
});

describe('Function: parseWindowTimestamp()', () => {
  it('round-trips with formatWindowTimestamp', () => {
    fc.assert(
      fc.property(minuteArb, (at) => {
        expect(parseWindowTimestamp(formatWindowTimestamp(at))).toEqual(at);
      }),
    );
  });

  it.each([
    '2026-11-23',
    '2026-11-23T14:00',
    '2026-02-29-0000',
    '1900-01-01-2400',
    ' 2026-11-23-1400',
  ])('refuses %j with the expected form in the message', (value) => {
    expect(() => parseWindowTimestamp(value)).toThrow(/YYYY-MM-DD-HHMM|not a real UTC time/);
  });

  it('accepts the original system\u2019s full-sync bounds', () => {
    expect(parseWindowTimestamp('1900-01-01-0000')).toEqual(new Date('1900-01-01T00:00:00Z'));
    expect(parseWindowTimestamp('2099-12-31-2359')).toEqual(new Date('2099-12-31T23:59:00Z'));
  });
});

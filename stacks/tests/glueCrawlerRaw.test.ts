import { beforeAll, describe, expect, it } from 'vitest';
import { CATALOG_KEY_ALIAS } from '../deployAccess.js';
import { CRAWLER_CATALOG_ACTIONS } from '../glueCrawlerRaw.js';
import { type SynthesisedApp, synth } from './helpers/synth.js';
import { type Block, documentNamed, resourcesOf, stackOf, statementsOf, tf } from './helpers/terraformJson.js';

describe('glue-crawler-raw', () => {
  let dev: SynthesisedApp;
  let everything: SynthesisedApp;

  beforeAll(() => {
    dev = synth();
    everything = synth({ INSIGHTFLOW_RECRAWL: 'everything' });
  });

  it('scopes the crawler role to its catalog, prefixes and keys, with AssociateKmsKey for its encrypted logs', () => {
    const glue = stackOf(dev.stacks, 'glue-crawler-raw');
    const statements = statementsOf(documentNamed(glue, 'crawler-role_policy'));
    for (const statement of statements) expect(statement.resources).not.toContain('*');
    const sid = (name: string) => statements.find((s) => s.sid === name) as Block;
    expect(sid('CatalogOfThisDatabase').actions).toEqual(CRAWLER_CATALOG_ACTIONS);
    expect(JSON.stringify(sid('CatalogOfThisDatabase').resources)).toContain(
      `:table/${tf('aws_glue_catalog_database.database.name')}/*`,
    );
    expect(sid('CrawlerLogs').actions).toContain('logs:AssociateKmsKey');
    expect(JSON.stringify(sid('CrawlerLogs').resources)).toContain(':log-group:/aws-glue/crawlers*');
    // The lake's key through S3 only; the catalog's key (the account stack's, by its alias) through Glue only.
    expect(sid('ProjectKey')).toMatchObject({
      actions: ['kms:Decrypt'],
      condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: ['s3.us-east-1.amazonaws.com'] }],
    });
    expect(sid('CatalogKey')).toMatchObject({
      actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
      condition: [
        { test: 'ForAnyValue:StringEquals', variable: 'kms:ResourceAliases', values: [CATALOG_KEY_ALIAS] },
        { test: 'StringEquals', variable: 'kms:ViaService', values: ['glue.us-east-1.amazonaws.com'] },
      ],
    });
    expect(Object.keys(resourcesOf(glue, 'aws_iam_role_policy_attachment'))).toEqual([]);
  });

  it('passes INSIGHTFLOW_RECRAWL to both crawlers: new folders only (logging schema changes) by default, everything on request', () => {
    const policies = (app: SynthesisedApp) =>
      Object.values(resourcesOf(stackOf(app.stacks, 'glue-crawler-raw'), 'aws_glue_crawler')).map((c) => [
        c.name,
        (c.recrawl_policy as Block).recrawl_behavior,
        (c.schema_change_policy as Block).update_behavior,
      ]);
    expect(policies(dev)).toEqual([
      ['insightflow-dev-raw-batch', 'CRAWL_NEW_FOLDERS_ONLY', 'LOG'],
      ['insightflow-dev-raw-streaming', 'CRAWL_NEW_FOLDERS_ONLY', 'LOG'],
    ]);
    expect(policies(everything)).toEqual([
      ['insightflow-dev-raw-batch', 'CRAWL_EVERYTHING', 'UPDATE_IN_DATABASE'],
      ['insightflow-dev-raw-streaming', 'CRAWL_EVERYTHING', 'UPDATE_IN_DATABASE'],
    ]);
  });

  it('sends a failed crawl of either crawler to the alarm topic', () => {
    const glue = stackOf(dev.stacks, 'glue-crawler-raw');
    const rule = resourcesOf(glue, 'aws_cloudwatch_event_rule')['crawler-failed'];
    expect(JSON.parse(String(rule?.event_pattern))).toEqual({
      source: ['aws.glue'],
      'detail-type': ['Glue Crawler State Change'],
      detail: { crawlerName: ['insightflow-dev-raw-batch', 'insightflow-dev-raw-streaming'], state: ['Failed'] },
    });
    const target = resourcesOf(glue, 'aws_cloudwatch_event_target')['crawler-failed-alarm'];
    expect(target?.rule).toBe(tf('aws_cloudwatch_event_rule.crawler-failed.name'));
    expect(JSON.stringify(target?.arn)).toContain('cross-stack-reference-input-s3-buckets');
  });
});

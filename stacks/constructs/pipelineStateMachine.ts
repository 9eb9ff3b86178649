import { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine/index.js';
import { ErrorKind, REPORTED_ERROR_NAMES } from '@insightflow/shared-config';
import { Construct } from 'constructs';

/** Failures of the Lambda service itself, before or around our code: always worth a quick retry. */
export const LAMBDA_TRANSIENT = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/** What our handlers report (defineHandler): a retryable failure is retried, a terminal one fails at once. */
export const HANDLER_RETRYABLE = REPORTED_ERROR_NAMES[ErrorKind.retryable];
export const HANDLER_TERMINAL = REPORTED_ERROR_NAMES[ErrorKind.terminal];

/** Sync rounds an execution may run before it fails: a sync that always reports `more` must not loop forever. */
export const MAX_SYNC_ROUNDS = 50;

/** The error an execution fails with when the sync still reports `more` after {@link MAX_SYNC_ROUNDS}. */
export const SYNC_ROUNDS_EXCEEDED = 'InsightFlow.SyncRoundsExceeded';

/** One state of an Amazon States Language definition. */
export type State = Record<string, unknown>;

/** States and where they start: a definition's top level, a Map's item processor or a Parallel branch. */
export interface Branch {
  StartAt: string;
  States: Record<string, State>;
}

/** What the pipeline runs: its functions' ARNs (no ingest function: no ingest) and its crawlers' names. */
export interface PipelineTargets {
  ingest?: string;
  clean: string;
  sync: string;
  crawlers: string[];
}

/** How one Lambda task invokes its function and keeps its answer. */
export interface LambdaTaskOptions {
  /** The invocation's payload: `'$'` for the state's whole input, or a template (keys ending `.$` take a path). */
  payload: '$' | Record<string, unknown>;
  /** Seconds before the first retry of a retryable failure our handler reports (then doubled, twice in all). */
  retryableIntervalSeconds: number;
  /** What of the function's answer the state keeps (default: all of it). */
  resultSelector?: Record<string, string>;
  /** Where the kept answer goes in the state's data (default: it replaces the data). */
  resultPath?: string | null;
}

/**
 * A Task that invokes a Lambda function, with the one retry policy every function of the pipeline
 * shares: the Lambda service's own failures ({@link LAMBDA_TRANSIENT}) a few times quickly, and a
 * failure our handler reports retryable ({@link HANDLER_RETRYABLE}) twice after
 * `retryableIntervalSeconds`. No rule matches {@link HANDLER_TERMINAL}, nor a function's time-out
 * (`Sandbox.Timedout`), and no Catch is set: either fails the execution at once. The caller adds
 * `Next` or `End`.
 */
export function lambdaTask(functionArn: string, options: LambdaTaskOptions): State {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters:
      options.payload === '$'
        ? { FunctionName: functionArn, 'Payload.$': '$' }
        : { FunctionName: functionArn, Payload: options.payload },
    ...(options.resultSelector && { ResultSelector: options.resultSelector }),
    ...(options.resultPath !== undefined && { ResultPath: options.resultPath }),
    Retry: [
      { ErrorEquals: LAMBDA_TRANSIENT, IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2, JitterStrategy: 'FULL' },
      {
        ErrorEquals: [HANDLER_RETRYABLE],
        IntervalSeconds: options.retryableIntervalSeconds,
        MaxAttempts: 2,
        BackoffRate: 2,
      },
    ],
  };
}

/** A branch of one state, `name`, that ends it. */
export function singleState(name: string, state: State): Branch {
  return { StartAt: name, States: { [name]: { ...state, End: true } } };
}

/**
 * A Map over the execution's `tables`, all of them at once (`MaxConcurrency` is the catalog's
 * table count), each item running `processor` on the input `itemSelector` makes of it. The Map's
 * output is dropped: the execution's data goes on to `next` as it came in.
 */
export function tableMap(
  tables: readonly string[],
  map: { itemSelector: Record<string, string>; processor: Branch; next: string },
): State {
  return {
    Type: 'Map',
    ItemsPath: '$.tables',
    MaxConcurrency: tables.length,
    ItemSelector: map.itemSelector,
    ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, ...map.processor },
    ResultPath: null,
    Next: map.next,
  };
}

/** Starts every crawler side by side; one already running counts as started. */
function startCrawlers(crawlers: readonly string[], next: string): State {
  return {
    Type: 'Parallel',
    Branches: crawlers.map((name, i) => ({
      StartAt: `StartCrawler${i}`,
      States: {
        [`StartCrawler${i}`]: {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:glue:startCrawler',
          Parameters: { Name: name },
          Retry: [{ ErrorEquals: ['Glue.ThrottlingException'], IntervalSeconds: 5, MaxAttempts: 5, BackoffRate: 2 }],
          Catch: [{ ErrorEquals: ['Glue.CrawlerRunningException'], Next: `CrawlerAlreadyRunning${i}` }],
          End: true,
        },
        [`CrawlerAlreadyRunning${i}`]: { Type: 'Succeed' },
      },
    })),
    ResultPath: null,
    Next: next,
  };
}

/**
 * `sync` while its answer says `more` (kept as `$.sync.more`), at most {@link MAX_SYNC_ROUNDS}
 * rounds, counted in `$.syncRounds.count`; past that the branch fails with
 * {@link SYNC_ROUNDS_EXCEEDED}. A branch of its own, so it runs as well inside a Map's item.
 */
export function syncRounds(sync: State): Branch {
  return {
    StartAt: 'StartSync',
    States: {
      StartSync: { Type: 'Pass', Result: { count: 0 }, ResultPath: '$.syncRounds', Next: 'Sync' },
      Sync: { ...sync, Next: 'CountSyncRound' },
      CountSyncRound: {
        Type: 'Pass',
        Parameters: { 'count.$': 'States.MathAdd($.syncRounds.count, 1)' },
        ResultPath: '$.syncRounds',
        Next: 'SyncRoundsLeft',
      },
      SyncRoundsLeft: {
        Type: 'Choice',
        Choices: [
          {
            And: [
              { Variable: '$.sync.more', BooleanEquals: true },
              { Variable: '$.syncRounds.count', NumericGreaterThanEquals: MAX_SYNC_ROUNDS },
            ],
            Next: 'TooManySyncRounds',
          },
        ],
        Default: 'MoreToSync',
      },
      TooManySyncRounds: {
        Type: 'Fail',
        Error: SYNC_ROUNDS_EXCEEDED,
        Cause: `The sync still had more to do after ${MAX_SYNC_ROUNDS} rounds; the next scheduled run resumes it.`,
      },
      MoreToSync: {
        Type: 'Choice',
        Choices: [{ Variable: '$.sync.more', BooleanEquals: true, Next: 'Sync' }],
        Default: 'Done',
      },
      Done: { Type: 'Succeed' },
    },
  };
}

/**
 * The pipeline's definition: ingest (a Map over tables; left out when there is no ingest
 * function) → start the crawlers → build the clean tables (a Map over the same tables, one
 * clean-layer invocation each, while the crawlers run) → {@link syncRounds}.
 */
export function pipelineDefinition(targets: PipelineTargets, tables: readonly string[]): string {
  const sync = syncRounds(
    lambdaTask(targets.sync, {
      payload: {},
      resultSelector: { 'more.$': '$.Payload.more', 'rows.$': '$.Payload.rows' },
      resultPath: '$.sync',
      retryableIntervalSeconds: 60,
    }),
  );
  return JSON.stringify({
    Comment:
      'InsightFlow: batch ingest every table in parallel, crawl the lake, build the clean tables, sync PostgreSQL.',
    StartAt: targets.ingest ? 'IngestTables' : 'StartCrawlers',
    States: {
      ...(targets.ingest && {
        IngestTables: tableMap(tables, {
          // Every table of a run shares the run's time: the execution's start.
          itemSelector: { 'table.$': '$$.Map.Item.Value', 'runAt.$': '$$.Execution.StartTime' },
          processor: singleState(
            'IngestTable',
            lambdaTask(targets.ingest, { payload: '$', retryableIntervalSeconds: 30 }),
          ),
          next: 'StartCrawlers',
        }),
      }),
      StartCrawlers: startCrawlers(targets.crawlers, 'CleanTables'),
      // One invocation per table: each gets the function's whole time budget, and Athena runs
      // the tables' queries side by side (within the account's concurrent-query quota).
      CleanTables: tableMap(tables, {
        itemSelector: { 'table.$': '$$.Map.Item.Value' },
        processor: singleState(
          'CleanTable',
          lambdaTask(targets.clean, { payload: { 'tables.$': 'States.Array($.table)' }, retryableIntervalSeconds: 30 }),
        ),
        next: sync.StartAt,
      }),
      ...sync.States,
    },
  });
}

/** Props of {@link PipelineStateMachine}. */
export interface PipelineStateMachineProps {
  stateMachineName: string;
  roleArn: string;
  /** The log group its errors are logged to. */
  logGroupArn: string;
  /** The key its definition and execution history are encrypted with. */
  kmsKeyArn: string;
  targets: PipelineTargets;
  /** The catalog's tables: the Maps run this many items at once. */
  tables: readonly string[];
}

/**
 * The pipeline's Step Functions state machine ({@link pipelineDefinition}): errors logged without
 * execution data, traced, encrypted with the project key.
 */
export class PipelineStateMachine extends Construct {
  public readonly machine: SfnStateMachine;

  public constructor(scope: Construct, id: string, props: PipelineStateMachineProps) {
    super(scope, id);
    this.machine = new SfnStateMachine(this, 'machine', {
      name: props.stateMachineName,
      roleArn: props.roleArn,
      definition: pipelineDefinition(props.targets, props.tables),
      loggingConfiguration: { level: 'ERROR', includeExecutionData: false, logDestination: `${props.logGroupArn}:*` },
      tracingConfiguration: { enabled: true },
      encryptionConfiguration: {
        type: 'CUSTOMER_MANAGED_KMS_KEY',
        kmsKeyId: props.kmsKeyArn,
        kmsDataKeyReusePeriodSeconds: 300,
      },
    });
    // Its address from before this construct existed: a new one would have Terraform replace the
    // machine (and lose its execution history) for no change at all.
    this.machine.overrideLogicalId('pipeline');
  }

  public get arn(): string {
    return this.machine.arn;
  }
}

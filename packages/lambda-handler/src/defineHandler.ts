import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { type Catalog, errorKindOf, type InsightFlowError, readHandlerConfig } from '@insightflow/shared-config';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { bundledCatalog } from './bundledCatalog.js';
import { InvalidEventError, InvocationError } from './errors.js';
import { type MetricFigures, publishFigures } from './handlerMetrics.js';

/** What a handler's setup and core are handed; one of each per container. */
export interface HandlerTools {
  logger: Logger;
  tracer: Tracer;
  /** The catalog the function runs with ({@link bundledCatalog}), read once per container. */
  catalog: Catalog;
}

/** One invocation, as the core sees it. */
export interface Invocation extends HandlerTools {
  /** The Lambda context; undefined when the handler is called in-process (tests, the CLI). */
  context: Context | undefined;
  /** Milliseconds left before the function's deadline; undefined without a Lambda context. */
  remainingMs: (() => number) | undefined;
}

/** What a handler parses and how it names itself. */
export interface HandlerDefinition<S extends z.ZodType> {
  /** The function's service name: its logs, traces and error messages carry it. */
  name: string;
  /**
   * The event; `undefined` is parsed as `{}`. A function of the catalog when the event names
   * catalog tables (`tableNameSchema(catalog)`).
   */
  eventSchema: S | ((catalog: Catalog) => S);
  /** The terminal error for an event the schema refuses; {@link InvalidEventError} by default. */
  invalidEvent?: (details: string) => InsightFlowError;
}

/** Where a handler's metrics come from: its result, the figures the CLI prints with `--json`. */
export type FiguresOf<R, D> = (result: R, dependencies: D) => MetricFigures[];

/** A Lambda entry point. */
export type LambdaHandler<R> = (event: unknown, context?: Context) => Promise<R>;

/**
 * Builds a Lambda entry point from the three things that differ between functions: the event
 * schema, the setup (read the configuration, build clients and adapters) and the core call.
 * It reads the function's catalog once ({@link bundledCatalog}) and hands it to the event schema,
 * the setup and the core (`catalog` of {@link HandlerTools}). Per invocation it parses the event
 * (a refused event throws the definition's terminal error),
 * runs the setup once per container (at the first invocation; a setup that fails is tried
 * again next time), adds the Lambda context to the logger, traces the invocation in its own
 * subsegment, and reports a failure under its kind's name (`InsightFlow.Retryable` /
 * `InsightFlow.Terminal`, see {@link errorKindOf}) with the original error as `cause`.
 *
 * Capture the AWS SDK clients the setup builds with `tracer.captureAWSv3Client(client)`.
 *
 * After a successful invocation it publishes the invocation's duration and the `figures` of its
 * result as CloudWatch metrics ({@link publishFigures}, dimensions service, environment, table).
 */
export function defineHandler<S extends z.ZodType, D, R>(
  definition: HandlerDefinition<S>,
  setup: (tools: HandlerTools) => D | Promise<D>,
  core: (event: z.output<S>, dependencies: D, invocation: Invocation) => Promise<R>,
  figures?: FiguresOf<R, D>,
): LambdaHandler<R> {
  const catalog = bundledCatalog();
  const { name } = definition;
  const eventSchema =
    typeof definition.eventSchema === 'function'
      ? (definition.eventSchema as (catalog: Catalog) => S)(catalog)
      : definition.eventSchema;
  const invalidEvent = definition.invalidEvent ?? ((details: string) => new InvalidEventError(name, details));
  const logger = new Logger({ serviceName: name });
  const tracer = new Tracer({ serviceName: name });
  let dependencies: Promise<D> | undefined;
  /** The environment the metrics are labelled with: read at the first invocation, once per container. */
  let environment: string | undefined;

  return async (event, context) => {
    if (context) logger.addContext(context);
    const segment = tracer.getSegment();
    const subsegment = tracer.isTracingEnabled() ? segment?.addNewSubsegment(`## ${name}`) : undefined;
    if (subsegment) tracer.setSegment(subsegment);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    try {
      const parsed = eventSchema.safeParse(event ?? {});
      if (!parsed.success) throw invalidEvent(z.prettifyError(parsed.error));
      dependencies ??= Promise.resolve(setup({ logger, tracer, catalog })).catch((error: unknown) => {
        dependencies = undefined;
        throw error;
      });
      const remainingMs = context ? () => context.getRemainingTimeInMillis() : undefined;
      const started = performance.now();
      const ready = await dependencies;
      const result = await core(parsed.data, ready, { logger, tracer, catalog, context, remainingMs });
      tracer.addResponseAsMetadata(result, name);
      const seconds = (performance.now() - started) / 1000;
      environment ??= readHandlerConfig().INSIGHTFLOW_ENV;
      publishFigures(name, environment, [{ values: { seconds } }, ...(figures?.(result, ready) ?? [])]);
      return result;
    } catch (error) {
      const reported = new InvocationError(error, errorKindOf(error));
      logger.error(`${name} failed`, { errorType: reported.name, error });
      tracer.addErrorAsMetadata(reported);
      throw reported;
    } finally {
      if (subsegment && segment) {
        subsegment.close();
        tracer.setSegment(segment);
      }
    }
  };
}

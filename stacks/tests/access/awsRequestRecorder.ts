/**
 * Records every AWS SDK request the code makes: service, operation, input and outcome.
 *
 * The SDK has no global middleware, so the recorder wraps `Client.prototype.send` (every
 * SDK v3 client extends it) to put one middleware on each client the first time it sends.
 * That catches clients built anywhere — in a handler at cold start, in an adapter, inside
 * lib-storage's `Upload` — without the code under test knowing it is watched.
 */
import { Client } from '@smithy/core/client';

/** One request as the SDK made it. */
export interface RecordedRequest {
  /** The SDK's service id, e.g. `S3`, `Firehose`, `Secrets Manager`. */
  service: string;
  /** The operation, e.g. `PutObject`. */
  operation: string;
  input: Record<string, unknown>;
  /** The error name, when the call failed (e.g. `NotFound` for a HEAD of a missing key). */
  error?: string;
  /** The response's output, when the call succeeded (e.g. the id StartQueryExecution returns). */
  output?: Record<string, unknown>;
  /** Whom the call is attributed to: the function whose code ran. */
  principal: string;
}

type Middleware = (
  next: (args: { input: Record<string, unknown> }) => Promise<unknown>,
  context: { commandName?: string },
) => (args: { input: Record<string, unknown> }) => Promise<unknown>;

const RECORDER = 'insightflowAccessRecorder';

/** A recorder: `attribute(principal, fn)` runs `fn` and records what it sends as `principal`. */
export interface AwsRequestRecorder {
  requests: RecordedRequest[];
  /** Runs `fn`, recording its requests as made by `principal`. */
  attribute<T>(principal: string, fn: () => Promise<T>): Promise<T>;
  /** Clients whose requests are not the code under test's (the local Firehose's own S3 writes). */
  ignore(client: object): void;
  uninstall(): void;
}

/** Installs the recorder on every SDK client in this process. */
export function installAwsRequestRecorder(): AwsRequestRecorder {
  const requests: RecordedRequest[] = [];
  const ignored = new WeakSet<object>();
  const instrumented = new WeakSet<object>();
  let principal: string | undefined;
  const prototype = Client.prototype as unknown as { send: (...args: unknown[]) => unknown };
  const originalSend = prototype.send;

  prototype.send = function send(this: Client<never, never, never, never>, ...args: unknown[]) {
    if (!instrumented.has(this)) {
      instrumented.add(this);
      const service = String((this.config as { serviceId?: string }).serviceId ?? this.constructor.name);
      const middleware: Middleware = (next, context) => async (request) => {
        if (ignored.has(this) || principal === undefined) return next(request);
        const entry: RecordedRequest = {
          service,
          operation: String(context.commandName ?? 'unknown').replace(/Command$/, ''),
          input: { ...request.input },
          principal,
        };
        requests.push(entry);
        try {
          const result = (await next(request)) as { output?: Record<string, unknown> };
          if (result?.output) entry.output = result.output;
          return result;
        } catch (error) {
          entry.error = (error as Error).name;
          throw error;
        }
      };
      this.middlewareStack.add(middleware as never, { step: 'initialize', name: RECORDER, priority: 'high' });
    }
    return originalSend.apply(this, args);
  };

  return {
    requests,
    async attribute(who, fn) {
      principal = who;
      try {
        return await fn();
      } finally {
        principal = undefined;
      }
    },
    ignore: (client) => ignored.add(client),
    uninstall: () => {
      prototype.send = originalSend;
    },
  };
}

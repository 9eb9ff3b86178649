export { useBundledCatalog } from './bundledCatalog.js';
export {
  defineHandler,
  type FiguresOf,
  type HandlerDefinition,
  type HandlerTools,
  type Invocation,
  type LambdaHandler,
} from './defineHandler.js';
export {
  errorKindOf,
  InvalidEventError,
  InvocationError,
  REPORTED_ERROR_NAMES,
  type ReportedErrorName,
} from './errors.js';
export {
  METRIC_UNITS,
  METRICS_NAMESPACE,
  type MetricFigures,
  type MetricName,
  publishFigures,
} from './handlerMetrics.js';

export { bundledCatalog } from './bundledCatalog.js';
export {
  defineHandler,
  type FiguresOf,
  type HandlerDefinition,
  type HandlerTools,
  type Invocation,
  type LambdaHandler,
} from './defineHandler.js';
export { InvalidEventError, InvocationError } from './errors.js';
export { type MetricFigures, publishFigures } from './handlerMetrics.js';

export { FirehoseDeliveryStream } from './adapters/firehoseDeliveryStream.js';
export type { DeliveryStream, FailedEntry } from './deliveryStream.js';
export { OversizedRecordError, PublishError, UndeliveredEventsError } from './errors.js';
export { lakeOrderRange, ORDERS_TABLE } from './lakeOrderRange.js';
export { type OrderIdRange, orderEvents } from './orderEvents.js';
export { reserveOrderIds, WATERMARK_KEY } from './orderIdReservation.js';
export { type BurstDependencies, type BurstResult, publishBurst } from './publishBurst.js';
export { type PublishOptions, type PublishResult, publishEvents } from './publishEvents.js';
export { warehouseOrderRange } from './warehouseRange.js';

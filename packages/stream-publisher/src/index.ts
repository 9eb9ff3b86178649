export { FirehoseDeliveryStream } from './adapters/firehoseDeliveryStream.js';
export { type DeliveryStream, type FailedEntry, FIREHOSE_LIMITS } from './deliveryStream.js';
export { OversizedRecordError, PublishError, UndeliveredEventsError } from './errors.js';
export { type OrderIdRange, orderEvents } from './orderEvents.js';
export { reserveOrderIds, WATERMARK_KEY } from './orderIdReservation.js';
export { type PublishOptions, type PublishResult, publishEvents } from './publishEvents.js';
export { warehouseOrderRange } from './warehouseRange.js';

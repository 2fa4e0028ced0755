/** Row shapes of the webhook tables (endpoints, deliveries, attempts). */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface WebhookTables {}

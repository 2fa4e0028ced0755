import type { Channel, Provider } from '../domain/lines.js';
import type { LineRow } from '../store/schema.js';

export interface SendRequest {
  messageId: string;
  line: LineRow;
  settings: Record<string, unknown>;
  channel: Channel;
  to: string;
  body: string;
  subject: string | null;
  attachmentUrls: string[];
}

/** What the provider will do later on its own (the simulator reports it; real providers call back). */
export type FollowUp =
  | { kind: 'delivered'; afterMs: number }
  | { kind: 'read'; afterMs: number }
  | { kind: 'reply'; afterMs: number; text: string };

export type SendResult =
  | { ok: true; externalId: string; followUps?: FollowUp[] }
  | { ok: false; retryable: boolean; error: string };

export type AvailabilityResult = { ok: true; capable: boolean } | { ok: false; error: string };

/** One adapter per provider; errors are classified retryable or permanent here, at the boundary. */
export interface ChannelAdapter {
  readonly provider: Provider;
  /** Whether the address can receive iMessage; only for providers that send iMessage. */
  checkAvailability?(line: LineRow, settings: Record<string, unknown>, address: string): Promise<AvailabilityResult>;
  send(req: SendRequest): Promise<SendResult>;
}

export type Channels = Record<Provider, ChannelAdapter | undefined>;

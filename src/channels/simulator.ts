import type { ChannelAdapter, FollowUp } from './types.js';

/** Behaviour by recipient, as SPEC §8's table: last two digits of a phone, local part of an email. */
export function simulatorProfile(address: string): {
  imessage: boolean;
  availabilityError: boolean;
  sendError: string | null;
  delivered: boolean;
  reply: string | null;
} {
  const isPhone = address.startsWith('+');
  const last2 = isPhone ? address.slice(-2) : '';
  const local = isPhone ? '' : address.split('@')[0].toLowerCase();
  return {
    imessage: isPhone ? !address.endsWith('0') : !local.includes('noimessage'),
    availabilityError: last2 === '66',
    sendError: last2 === '13' || local.includes('bounce') ? 'Recipient address rejected' : null,
    delivered: last2 !== '14',
    reply: last2 === '42' ? 'Sounds good, tell me more' : last2 === '99' ? 'STOP' : null,
  };
}

/** A provider that sends nowhere and behaves by the recipient's address, for demos and tests. */
export function simulatorAdapter(opts: { deliveryMs: number; replyMs: number }): ChannelAdapter {
  return {
    provider: 'simulator',
    async checkAvailability(_line, _settings, address) {
      const p = simulatorProfile(address);
      if (p.availabilityError) return { ok: false, error: 'availability API error' };
      return { ok: true, capable: p.imessage };
    },
    async send(req) {
      const p = simulatorProfile(req.to);
      if (p.sendError) return { ok: false, retryable: false, error: p.sendError };
      const followUps: FollowUp[] = [];
      if (p.delivered) {
        followUps.push({ kind: 'delivered', afterMs: opts.deliveryMs });
        if (p.reply) followUps.push({ kind: 'reply', afterMs: opts.deliveryMs + opts.replyMs, text: p.reply });
        else followUps.push({ kind: 'read', afterMs: opts.deliveryMs + 1000 });
      }
      return { ok: true, externalId: `sim_${req.messageId}`, followUps };
    },
  };
}

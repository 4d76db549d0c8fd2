import Stripe from 'stripe';

export interface VerifiedEvent {
  id: string;
  type: string;
  /** The parsed event: the job input of the routed execution. */
  payload: Record<string, unknown>;
}

/** Why a delivery was refused; the message never contains the secret. */
export class SignatureRejected extends Error {}

/**
 * Verifies a `Stripe-Signature` header with Stripe's own library: `t=` within `toleranceSeconds`
 * and any `v1=` HMAC-SHA256 of `t.rawBody` matching, compared in constant time.
 */
export function verifyStripeEvent(rawBody: Buffer, header: string, secret: string, toleranceSeconds: number): VerifiedEvent {
  let event: { id?: unknown; type?: unknown };
  try {
    event = Stripe.webhooks.constructEvent(rawBody, header, secret, toleranceSeconds) as unknown as typeof event;
  } catch (error) {
    // Stripe's messages say what failed ("Timestamp outside the tolerance zone", "No signatures
    // found matching …"); keep the first sentence, without the troubleshooting essay.
    const message = error instanceof Error ? error.message.split(/\.\s|\n/)[0].replace(/\.$/, '') : 'invalid signature';
    throw new SignatureRejected(message);
  }
  if (typeof event.id !== 'string' || event.id.length === 0 || event.id.length > 255 || typeof event.type !== 'string' || event.type.length > 255) {
    throw new SignatureRejected('the signed body is not a Stripe event (no id or type)');
  }
  return { id: event.id, type: event.type, payload: event as Record<string, unknown> };
}

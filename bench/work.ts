/** The unit of work both sides run: one POST of this body to the downstream's /work. */
export const WORK_PATH = '/work';

export const WORK_INPUT = { orderId: 'order-1001', amount: 1200, currency: 'eur', note: 'bench' } as const;

import { natsAvailable, testEventBroker } from '../../test/event-broker';
import { NatsTransport } from './nats-transport';

// The services of a namespace start together (`npm start`, the tests, a new cluster): each
// makes sure the streams exist, and only one of them can create each.
(process.env.CI || process.env.TEST_NATS_URL ? describe : describe.skip)('NATS streams', () => {
  it.each([1, 2, 3])('are created once when the services of a new namespace connect at the same moment (%i)', async () => {
    expect(await natsAvailable()).toBe(true);
    const broker = await testEventBroker();
    const settings = { url: broker.environment.NATS_URL, namespace: broker.namespace, duplicateWindowMs: 60_000, ackWaitMs: 30_000, replicas: 1 };
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, index) => NatsTransport.connect(settings, `service-${index}`)));
    try {
      expect(results.map((result) => (result.status === 'rejected' ? String(result.reason) : 'connected'))).toEqual(Array(12).fill('connected'));
    } finally {
      for (const result of results) if (result.status === 'fulfilled') await result.value.close();
      await broker.cleanUp();
    }
  });
});

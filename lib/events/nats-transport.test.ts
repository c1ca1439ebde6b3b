import { JetStreamApiError, type StreamInfo } from '@nats-io/jetstream';
import { ensureStream } from './nats-transport';

// What a NATS server answers each stream call, in order, as the services of a new namespace
// race to create the same stream (the server's own codes and messages).
type Answer = 'ok' | 'not found' | 'overlap' | 'timeout';
const apiError = (code: number, description: string) => new JetStreamApiError({ err_code: code, code: code === 10059 ? 404 : 400, description });

function serverAnswering(answers: Answer[]) {
  const calls: string[] = [];
  const answer = (call: string) => {
    calls.push(call);
    const next = answers.shift();
    if (next === 'ok') return Promise.resolve({} as StreamInfo);
    if (next === 'not found') return Promise.reject(apiError(10059, 'stream not found'));
    if (next === 'overlap') return Promise.reject(apiError(10065, 'subjects overlap with an existing stream'));
    return Promise.reject(new Error('TimeoutError: timeout'));
  };
  const streams = { info: () => answer('info'), add: () => answer('add'), update: () => answer('update') };
  return { streams: streams as unknown as Parameters<typeof ensureStream>[0], calls };
}

const config = { name: 'ns_EVENTS', subjects: ['ns.events.>'] };

describe('making sure a stream exists', () => {
  it('updates a stream another service created between the look-up and the creation', async () => {
    const server = serverAnswering(['not found', 'overlap', 'ok', 'ok']);
    await ensureStream(server.streams, config);
    expect(server.calls).toEqual(['info', 'add', 'info', 'update']);
  });

  it('creates a missing stream and updates an existing one', async () => {
    const missing = serverAnswering(['not found', 'ok']);
    await ensureStream(missing.streams, config);
    expect(missing.calls).toEqual(['info', 'add']);
    const existing = serverAnswering(['ok', 'ok']);
    await ensureStream(existing.streams, config);
    expect(existing.calls).toEqual(['info', 'update']);
  });

  it('does not take a look-up that failed for a missing stream, and looks again', async () => {
    const server = serverAnswering(['timeout', 'ok', 'ok']);
    await ensureStream(server.streams, config);
    expect(server.calls).toEqual(['info', 'info', 'update']);
  });

  it('gives up after five attempts', async () => {
    const refusing = serverAnswering(Array.from({ length: 10 }, (_, index) => (index % 2 ? 'overlap' : 'not found')));
    await expect(ensureStream(refusing.streams, config)).rejects.toThrow('subjects overlap');
    expect(refusing.calls).toHaveLength(10);
    const silent = serverAnswering(Array(5).fill('timeout'));
    await expect(ensureStream(silent.streams, config)).rejects.toThrow('timeout');
    expect(silent.calls).toEqual(Array(5).fill('info'));
  });
});

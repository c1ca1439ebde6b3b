import { logger } from '../logger';
import type { EventEnvelope } from './envelope';
import type { EventFeed, EventTransport } from './transport';

const log = logger.child({ component: 'recent-events' });

// position: 1, 2, 3… in the order this process received the events.
export type FeedEntry = { position: number; event: EventEnvelope };

// The last stretch of the event stream, in memory, so that a subscriber that lost its
// connection can be given what it missed. Each gateway replica follows the whole stream itself
// and fills its window from the stream when it starts, so a client may resume on any of them.
//
// An entry is held for windowMs from when this process received it, not from its occurredAt:
// that was written by another service's clock. So the events a replica catches up on when it
// starts are held up to windowMs longer than on a replica that saw them live. At most
// maxEvents are held either way.
export class RecentEvents {
  // entries[first..] are held; the ones before were dropped and are cut off now and then.
  private readonly entries: FeedEntry[] = [];
  private readonly receivedAt: number[] = [];
  private first = 0;
  private readonly positions = new Map<string, number>();
  private readonly listeners = new Set<(entry: FeedEntry) => void>();
  private newest = 0;
  private feed: EventFeed | undefined;

  private constructor(private readonly options: { windowMs: number; maxEvents: number }) {}

  // Follows the stream from windowMs ago; resolves once the stored events have been read (or
  // at once when the broker is down: the window then fills as the stream comes back).
  static async start(transport: EventTransport, options: { windowMs: number; maxEvents: number }): Promise<RecentEvents> {
    const recent = new RecentEvents(options);
    recent.feed = await transport.follow(new Date(Date.now() - options.windowMs), (event) => recent.receive(event));
    await recent.feed.caughtUp;
    return recent;
  }

  // The entries received after the listener was added, in order. Returns the unsubscribe.
  onEvent(listener: (entry: FeedEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // The entries after the one of this event, in order; undefined when that event is not (or no
  // longer) held.
  after(eventId: string): FeedEntry[] | undefined {
    this.drop(Date.now());
    const position = this.positions.get(eventId);
    if (position === undefined) return undefined;
    // Held positions are consecutive: entries arrive numbered in turn and leave oldest first.
    return this.entries.slice(this.first + position - this.entries[this.first].position + 1);
  }

  // The position of the newest entry received (held or since dropped); 0 before the first.
  latest(): number {
    return this.newest;
  }

  async stop(): Promise<void> {
    this.listeners.clear();
    await this.feed?.stop();
  }

  private receive(event: EventEnvelope): void {
    // The same event stored twice (a relay that published it again after the broker's
    // duplicate window) is given to subscribers once.
    if (this.positions.has(event.id)) return;
    const entry = { position: ++this.newest, event };
    const now = Date.now();
    this.entries.push(entry);
    this.receivedAt.push(now);
    this.positions.set(event.id, entry.position);
    this.drop(now);
    for (const listener of [...this.listeners]) {
      try {
        listener(entry);
      } catch (error) {
        log.warn({ err: (error as Error).message, eventId: event.id }, 'a listener of recent events failed');
      }
    }
  }

  private drop(now: number): void {
    const { windowMs, maxEvents } = this.options;
    while (this.first < this.entries.length && (this.entries.length - this.first > maxEvents || this.receivedAt[this.first] < now - windowMs)) {
      this.positions.delete(this.entries[this.first].event.id);
      this.first++;
    }
    // Cut once the dropped are at least half, so each entry is moved a constant number of times.
    if (this.first > 0 && this.first * 2 >= this.entries.length) {
      this.entries.splice(0, this.first);
      this.receivedAt.splice(0, this.first);
      this.first = 0;
    }
  }
}

import { DAY_MS } from '../../../lib/demo-seed';
import { matchesSegment, memberStatusAfter, recencyDays, rfmScore, usesAnalysis, type OrderAnalysis } from './rules';

const customer = { kind: 'ORGANIZATION', status: 'ACTIVE', tags: ['vip', 'enterprise'], company: 'Acme' };
const now = Date.parse('2026-12-01T12:00:00Z');
const usd: OrderAnalysis = { currency: 'USD', lastOrderAt: new Date(now - 30 * DAY_MS), monetaryMinor: 150_000n, score: '554' };
const eur: OrderAnalysis = { currency: 'EUR', lastOrderAt: new Date(now - 200 * DAY_MS), monetaryMinor: 9_000n, score: '211' };

describe('segment rules', () => {
  it('matches when every rule that is set holds', () => {
    expect(matchesSegment({ kinds: ['ORGANIZATION'], statuses: ['ACTIVE'] }, customer, [], now)).toBe(true);
    expect(matchesSegment({ kinds: ['ORGANIZATION'], statuses: ['LEAD'] }, customer, [], now)).toBe(false);
    expect(matchesSegment({ tagsAny: ['smb', 'vip'] }, customer, [], now)).toBe(true);
    expect(matchesSegment({ tagsAll: ['vip', 'smb'] }, customer, [], now)).toBe(false);
    expect(matchesSegment({ companies: ['acme'] }, customer, [], now)).toBe(true);
    expect(matchesSegment({ companies: ['Globex'] }, { ...customer, company: null }, [], now)).toBe(false);
  });

  it('orderedWithinDays holds when the latest order in any currency is that recent', () => {
    expect(matchesSegment({ orderedWithinDays: 30 }, customer, [eur, usd], now)).toBe(true);
    expect(matchesSegment({ orderedWithinDays: 29 }, customer, [eur, usd], now)).toBe(false);
    expect(matchesSegment({ orderedWithinDays: 365 }, customer, [], now)).toBe(false);
  });

  it('minMonetary compares the orders of its own currency only, exactly', () => {
    expect(matchesSegment({ minMonetary: { currency: 'USD', minorUnits: '150000' } }, customer, [usd, eur], now)).toBe(true);
    expect(matchesSegment({ minMonetary: { currency: 'USD', minorUnits: '150001' } }, customer, [usd, eur], now)).toBe(false);
    expect(matchesSegment({ minMonetary: { currency: 'EUR', minorUnits: '10000' } }, customer, [usd, eur], now)).toBe(false);
    expect(matchesSegment({ minMonetary: { currency: 'GBP', minorUnits: '0' } }, customer, [usd, eur], now)).toBe(false);
  });

  it('rfmScores holds when the score in one of the currencies is listed', () => {
    expect(matchesSegment({ rfmScores: ['555', '554'] }, customer, [eur, usd], now)).toBe(true);
    expect(matchesSegment({ rfmScores: ['555'] }, customer, [eur, usd], now)).toBe(false);
    expect(matchesSegment({ rfmScores: ['111'] }, customer, [], now)).toBe(false);
  });

  it('combines analysis rules with attribute rules', () => {
    expect(matchesSegment({ tagsAny: ['vip'], orderedWithinDays: 90, rfmScores: ['554'] }, customer, [usd], now)).toBe(true);
    expect(matchesSegment({ tagsAny: ['smb'], orderedWithinDays: 90 }, customer, [usd], now)).toBe(false);
  });

  it('knows which rules need the analysis', () => {
    expect(usesAnalysis({ tagsAny: ['vip'] })).toBe(false);
    expect(usesAnalysis({ tagsAny: ['vip'], rfmScores: [] })).toBe(false);
    expect(usesAnalysis({ orderedWithinDays: 7 })).toBe(true);
    expect(usesAnalysis({ minMonetary: { currency: 'USD', minorUnits: '1' } })).toBe(true);
    expect(usesAnalysis({ rfmScores: ['555'] })).toBe(true);
  });
});

describe('RFM figures', () => {
  it('counts whole days since the latest order, never below zero', () => {
    expect(recencyDays(new Date(now - 30 * DAY_MS - 1), now)).toBe(30);
    expect(recencyDays(new Date(now - DAY_MS + 1), now)).toBe(0);
    expect(recencyDays(new Date(now + DAY_MS), now)).toBe(0);
  });

  it('writes the scores recency first', () => {
    expect(rfmScore({ recencyScore: 5, frequencyScore: 3, monetaryScore: 1 })).toBe('531');
  });
});

describe('member status after a response', () => {
  it('moves forward, never back, and unsubscribing wins', () => {
    expect(memberStatusAfter('SENT', 'CLICKED')).toBe('CLICKED');
    expect(memberStatusAfter('RESPONDED', 'OPENED')).toBe('RESPONDED');
    expect(memberStatusAfter('CLICKED', 'UNSUBSCRIBED')).toBe('UNSUBSCRIBED');
    expect(memberStatusAfter('UNSUBSCRIBED', 'REPLIED')).toBe('UNSUBSCRIBED');
  });
});

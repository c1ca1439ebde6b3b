import { matchesSegment, memberStatusAfter } from './rules';

const customer = { kind: 'ORGANIZATION', status: 'ACTIVE', tags: ['vip', 'enterprise'], company: 'Acme' };

describe('segment rules', () => {
  it('matches when every rule that is set holds', () => {
    expect(matchesSegment({ kinds: ['ORGANIZATION'], statuses: ['ACTIVE'] }, customer)).toBe(true);
    expect(matchesSegment({ kinds: ['ORGANIZATION'], statuses: ['LEAD'] }, customer)).toBe(false);
    expect(matchesSegment({ tagsAny: ['smb', 'vip'] }, customer)).toBe(true);
    expect(matchesSegment({ tagsAll: ['vip', 'smb'] }, customer)).toBe(false);
    expect(matchesSegment({ companies: ['acme'] }, customer)).toBe(true);
    expect(matchesSegment({ companies: ['Globex'] }, { ...customer, company: null })).toBe(false);
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

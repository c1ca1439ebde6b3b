import { loadSettings } from './config';
import { isStatementTimeout } from './db';

describe('statement time limit', () => {
  it('is 2500 ms unless DATABASE_STATEMENT_TIMEOUT_MS says otherwise, and refuses a setting that is not a duration', () => {
    const limit = (value?: string) => loadSettings({ DATABASE_STATEMENT_TIMEOUT_MS: value }).database.statementTimeoutMs;
    expect(limit()).toBe(2_500);
    expect(limit('0')).toBe(0);
    for (const wrong of ['soon', '-1', '1.5']) expect(() => limit(wrong)).toThrow('DATABASE_STATEMENT_TIMEOUT_MS');
  });

  it('recognises a cancelled statement as node-postgres and as Prisma report it, and nothing else', () => {
    expect(isStatementTimeout({ code: '57014' })).toBe(true);
    expect(isStatementTimeout({ code: 'P2039', meta: { driverAdapterError: { cause: { originalCode: '57014' } } } })).toBe(true);
    expect(isStatementTimeout({ code: 'P2010', meta: { driverAdapterError: { cause: { originalCode: '22007' } } } })).toBe(false);
    expect(isStatementTimeout(new Error('timeout'))).toBe(false);
    expect(isStatementTimeout(undefined)).toBe(false);
  });
});

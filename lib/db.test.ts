import { isStatementTimeout, statementTimeoutMs } from './db';

describe('statement time limit', () => {
  const previous = process.env.DATABASE_STATEMENT_TIMEOUT_MS;
  afterEach(() => {
    if (previous === undefined) delete process.env.DATABASE_STATEMENT_TIMEOUT_MS;
    else process.env.DATABASE_STATEMENT_TIMEOUT_MS = previous;
  });

  it('is 2500 ms unless DATABASE_STATEMENT_TIMEOUT_MS says otherwise, and refuses a setting that is not a duration', () => {
    delete process.env.DATABASE_STATEMENT_TIMEOUT_MS;
    expect(statementTimeoutMs()).toBe(2_500);
    process.env.DATABASE_STATEMENT_TIMEOUT_MS = '0';
    expect(statementTimeoutMs()).toBe(0);
    for (const wrong of ['soon', '-1', '1.5']) {
      process.env.DATABASE_STATEMENT_TIMEOUT_MS = wrong;
      expect(() => statementTimeoutMs()).toThrow('DATABASE_STATEMENT_TIMEOUT_MS');
    }
  });

  it('recognises a cancelled statement as node-postgres and as Prisma report it, and nothing else', () => {
    expect(isStatementTimeout({ code: '57014' })).toBe(true);
    expect(isStatementTimeout({ code: 'P2039', meta: { driverAdapterError: { cause: { originalCode: '57014' } } } })).toBe(true);
    expect(isStatementTimeout({ code: 'P2010', meta: { driverAdapterError: { cause: { originalCode: '22007' } } } })).toBe(false);
    expect(isStatementTimeout(new Error('timeout'))).toBe(false);
    expect(isStatementTimeout(undefined)).toBe(false);
  });
});

import { toMinorUnits, toMoney } from './money';

describe('money', () => {
  it('formats minor units as an exact decimal string in the currency', () => {
    expect(toMoney(123456n, 'USD')).toEqual({ amount: '1234.56', currency: 'USD', minorUnits: '123456' });
    expect(toMoney(5n, 'EUR').amount).toBe('0.05');
    expect(toMoney(-250n, 'USD').amount).toBe('-2.50');
    expect(toMoney(1500n, 'JPY').amount).toBe('1500');
    expect(toMoney(90071992547409930n, 'USD').amount).toBe('900719925474099.30');
  });

  it('parses decimal strings without floating point', () => {
    expect(toMinorUnits('19.99', 'USD', 'price')).toBe(1999n);
    expect(toMinorUnits('0.1', 'USD', 'price')).toBe(10n);
    expect(toMinorUnits('7', 'USD', 'price')).toBe(700n);
    expect(toMinorUnits('1500', 'JPY', 'price')).toBe(1500n);
  });

  it('refuses more decimals than the currency has, naming the field', () => {
    expect(() => toMinorUnits('1.999', 'USD', 'input.price.amount')).toThrow(
      expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field: 'input.price.amount' } }),
    );
    expect(() => toMinorUnits('10.5', 'JPY', 'input.price.amount')).toThrow('JPY has 0 decimal places');
  });
});

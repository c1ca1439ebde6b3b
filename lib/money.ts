import { badUserInput } from './errors';

// Amounts are stored as integer minor units (cents) in BigInt columns and shown as decimal
// strings, so no value ever passes through a floating-point number.
export type Money = { amount: string; currency: string; minorUnits: string };

// Building an Intl.NumberFormat is costly and every amount needs its currency's digits.
const digitsByCurrency = new Map<string, number>();

export function minorDigits(currency: string): number {
  let digits = digitsByCurrency.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    digitsByCurrency.set(currency, digits);
  }
  return digits;
}

export function toMoney(minor: bigint, currency: string): Money {
  const digits = minorDigits(currency);
  const negative = minor < 0n;
  const abs = (negative ? -minor : minor).toString().padStart(digits + 1, '0');
  const whole = abs.slice(0, abs.length - digits);
  const fraction = digits > 0 ? `.${abs.slice(abs.length - digits)}` : '';
  return { amount: `${negative ? '-' : ''}${whole}${fraction}`, currency, minorUnits: minor.toString() };
}

export function toMinorUnits(amount: string, currency: string, field: string): bigint {
  const digits = minorDigits(currency);
  const [whole, fraction = ''] = amount.split('.');
  if (fraction.length > digits) {
    throw badUserInput(`${field}: ${currency} has ${digits} decimal places`, field);
  }
  return BigInt(whole) * 10n ** BigInt(digits) + BigInt(fraction.padEnd(digits, '0') || '0');
}

import { toMoney, type Money } from '../../../lib/money';
import type { Order, OrderStatus } from './generated/prisma/client';

const orderFlow: Record<OrderStatus, OrderStatus[]> = {
  DRAFT: ['PLACED', 'CANCELLED'],
  PLACED: ['PAID', 'CANCELLED'],
  PAID: ['FULFILLED', 'CANCELLED'],
  FULFILLED: [],
  CANCELLED: [],
};

export function canMoveOrder(from: OrderStatus, to: OrderStatus): boolean {
  return orderFlow[from].includes(to);
}

// Orders that may be deleted; the others are part of the sales record.
export const DELETABLE_STATUSES: OrderStatus[] = ['DRAFT', 'CANCELLED'];

// What sales knows of a customer when an order or deal is to name it.
export type CustomerStanding = { archived: boolean; deleted: boolean; erased: boolean; deletionHoldId: string | null };

// Why a new order or deal may not name the customer, or null when it may.
export function customerRefusal(customer: CustomerStanding | undefined): string | null {
  if (!customer || customer.deleted) return 'does not exist';
  if (customer.erased) return 'has been erased';
  if (customer.deletionHoldId) return 'is being deleted';
  if (customer.archived) return 'is archived';
  return null;
}

const counted = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

// What keeps a customer from being deleted, as deleteCustomer's refusal lists it.
export function customerReferences(orders: number, opportunities: number): string[] {
  return [orders ? counted(orders, 'order', 'orders') : null, opportunities ? counted(opportunities, 'opportunity', 'opportunities') : null].filter(
    (reference): reference is string => reference !== null,
  );
}

// Orders that count as revenue, and the ones that count as a conversion.
export const REVENUE_STATUSES: OrderStatus[] = ['PLACED', 'PAID', 'FULFILLED'];
export const CONVERTED_STATUSES: OrderStatus[] = ['PAID', 'FULFILLED'];

// Sums per currency: orders in different currencies are never added together.
export function revenueByCurrency(orders: Pick<Order, 'status' | 'currency' | 'totalMinor'>[]): Money[] {
  const sums = new Map<string, bigint>();
  for (const order of orders) {
    if (REVENUE_STATUSES.includes(order.status)) sums.set(order.currency, (sums.get(order.currency) ?? 0n) + order.totalMinor);
  }
  return [...sums].sort(([a], [b]) => a.localeCompare(b)).map(([currency, minor]) => toMoney(minor, currency));
}

export function conversions(orders: Pick<Order, 'status'>[]): number {
  return orders.filter((order) => CONVERTED_STATUSES.includes(order.status)).length;
}

// ROI to four decimal places, rounded toward zero, in exact integer arithmetic.
export function returnOnInvestment(revenue: Money[], budget: Money): string | null {
  const budgetMinor = BigInt(budget.minorUnits);
  if (budgetMinor === 0n) return null;
  const revenueMinor = BigInt(revenue.find((money) => money.currency === budget.currency)?.minorUnits ?? '0');
  const scaled = ((revenueMinor - budgetMinor) * 10_000n) / budgetMinor;
  const sign = scaled < 0n ? '-' : '';
  const digits = (scaled < 0n ? -scaled : scaled).toString().padStart(5, '0');
  return `${sign}${digits.slice(0, -4)}.${digits.slice(-4)}`;
}

export function weightedAmount(amountMinor: bigint, probability: number, currency: string): Money {
  return toMoney((amountMinor * BigInt(probability)) / 100n, currency);
}

import { randomUUID } from 'node:crypto';
import { DAY_MS, inChunks, withDatabase, type DemoCustomer, type DemoOrder, type SubgraphSeed } from '../../../lib/demo-seed';
import { OpportunityStage, OrderStatus } from './generated/prisma/enums';
import { PrismaClient } from './generated/prisma/client';

// The customers (from the customer subgraph's seed) that orders and deals are for; the orders go
// on to marketing's seed, which attributes them and fills its order analysis from them.
export const demoSeed: SubgraphSeed<{ customers: DemoCustomer[] }, { orders: DemoOrder[] }> = {
  steps: 5,
  hasData: (databaseUrl) => withDatabase(PrismaClient, databaseUrl, async (prisma) => (await prisma.product.count()) > 0),
  async seed(databaseUrl, { size, random, now, tableWritten }, { customers }) {
    return withDatabase(PrismaClient, databaseUrl, async (prisma) => {
      // The seed writes no events, so the customers sales knows are written here; sequence 0
      // lets the customer's first event apply over them.
      await inChunks(
        customers.map(({ id, ownerId, status, kind, archived }) => ({ id, ownerId, status, kind, archived, sequence: 0 })),
        (data) => prisma.knownCustomer.createMany({ data }),
      );
      tableWritten();
      const products = Array.from({ length: 40 }, (_, index) => ({
        id: randomUUID(),
        sku: `SKU-${String(index + 1).padStart(4, '0')}`,
        name: `${['Starter', 'Team', 'Business', 'Enterprise'][index % 4]} ${['Licence', 'Support', 'Training', 'Add-on', 'Hardware'][index % 5]} ${index + 1}`,
        priceMinor: BigInt(500 + random.int(200_000)),
        currency: 'USD',
      }));
      await inChunks(products, (data) => prisma.product.createMany({ data }));
      tableWritten();
      const orders: DemoOrder[] = [];
      const items: { orderId: string; line: number; productId: string; quantity: number; unitPriceMinor: bigint }[] = [];
      for (const customer of customers) {
        const count = random.int(size.ordersPerCustomer * 2 + 1);
        for (let n = 0; n < count; n++) {
          const orderId = randomUUID();
          let totalMinor = 0n;
          for (let line = 0; line < 1 + random.int(4); line++) {
            const product = random.pick(products);
            const quantity = 1 + random.int(5);
            items.push({ orderId, line: line + 1, productId: product.id, quantity, unitPriceMinor: product.priceMinor });
            totalMinor += product.priceMinor * BigInt(quantity);
          }
          const status = random.pick(Object.values(OrderStatus));
          const createdAt = new Date(now - random.int(540) * DAY_MS - n);
          orders.push({ id: orderId, customerId: customer.id, status, currency: 'USD', totalMinor, placedAt: status === OrderStatus.DRAFT ? null : createdAt, createdAt });
        }
      }
      await inChunks(orders, (data) => prisma.order.createMany({ data }));
      tableWritten();
      await inChunks(items, (data) => prisma.orderItem.createMany({ data }), 5_000);
      tableWritten();
      await inChunks(
        customers
          .filter(() => random.next() < 0.6)
          .map((customer) => ({
            customerId: customer.id,
            name: `${customer.company} ${random.pick(['renewal', 'expansion', 'pilot', 'upgrade'])}`,
            stage: random.pick(Object.values(OpportunityStage)),
            amountMinor: BigInt(100_000 + random.int(5_000_000)),
            currency: 'USD',
            probability: random.int(101),
            expectedCloseDate: new Date(Math.floor((now + (random.int(180) - 30) * DAY_MS) / DAY_MS) * DAY_MS),
            ownerId: customer.ownerId,
          })),
        (data) => prisma.opportunity.createMany({ data }),
      );
      tableWritten();
      return { orders };
    });
  },
};

import { randomUUID } from 'node:crypto';
import { DAY_MS, inChunks, withDatabase, type DemoCustomer, type SubgraphSeed } from '../../../lib/demo-seed';
import { CustomerKind, InteractionType, LifecycleStatus } from './generated/prisma/enums';
import { PrismaClient } from './generated/prisma/client';

// The benchmark's bulk loader (bench/data.ts) draws from the same names.
export const FIRST_NAMES = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken', 'Radia', 'Linus', 'Frances', 'John'];
export const LAST_NAMES = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Hamilton', 'Thompson', 'Perlman', 'Torvalds', 'Allen', 'Backus'];
export const COMPANIES = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark', 'Wayne', 'Wonka', 'Tyrell', 'Cyberdyne'];
export const TAGS = ['vip', 'newsletter', 'enterprise', 'smb', 'partner', 'trial', 'renewal'];

export const demoSeed: SubgraphSeed<object, { customers: DemoCustomer[] }> = {
  steps: 3,
  hasData: (databaseUrl) => withDatabase(PrismaClient, databaseUrl, async (prisma) => (await prisma.customer.count()) > 0),
  async seed(databaseUrl, { size, random, now, tableWritten }) {
    return withDatabase(PrismaClient, databaseUrl, async (prisma) => {
      const customers = Array.from({ length: size.customers }, (_, index) => {
        const organisation = index % 3 === 0;
        const company = random.pick(COMPANIES);
        const name = organisation ? `${company} ${['Ltd', 'Inc', 'GmbH', 'Labs'][index % 4]} ${index}` : `${random.pick(FIRST_NAMES)} ${random.pick(LAST_NAMES)}`;
        return {
          id: randomUUID(),
          kind: organisation ? CustomerKind.ORGANIZATION : CustomerKind.PERSON,
          name,
          email: `customer${index}@${company.toLowerCase()}.example`,
          phone: `+1 555 ${String(1000 + (index % 9000)).padStart(4, '0')}`,
          company,
          status: random.pick(Object.values(LifecycleStatus)),
          ownerId: `user-${1 + random.int(5)}`,
          tags: TAGS.filter(() => random.next() < 0.25),
          createdAt: new Date(now - random.int(720) * DAY_MS - index),
        };
      });
      await inChunks(customers, (data) => prisma.customer.createMany({ data }));
      tableWritten();
      await inChunks(
        customers
          .filter((customer) => customer.kind === CustomerKind.ORGANIZATION)
          .flatMap((customer) =>
            [0, 1].map((n) => ({ customerId: customer.id, name: `${random.pick(FIRST_NAMES)} ${random.pick(LAST_NAMES)}`, title: n ? 'Buyer' : 'CTO', email: `contact${n}.${customer.email}` })),
          ),
        (data) => prisma.contact.createMany({ data }),
      );
      tableWritten();
      await inChunks(
        customers.flatMap((customer) =>
          Array.from({ length: 1 + random.int(4) }, (_, n) => ({
            customerId: customer.id,
            type: random.pick(Object.values(InteractionType)),
            subject: `Touchpoint ${n + 1} with ${customer.name}`,
            occurredAt: new Date(now - random.int(365) * DAY_MS),
          })),
        ),
        (data) => prisma.interaction.createMany({ data }),
      );
      tableWritten();
      // No demo customer is archived (archivedAt is left unset above).
      return { customers: customers.map(({ id, company, status, kind, ownerId, tags }) => ({ id, company, status, kind, ownerId, tags, archived: false })) };
    });
  },
};

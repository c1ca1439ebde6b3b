import { scalarResolvers } from '../../../../lib/scalars';
import { parseId } from '../../../../lib/inputs';
import { pageSize, toChildConnection } from '../../../../lib/pagination';
import type { Contact, Customer, Interaction } from '../generated/prisma/client';
import type { CustomerContext } from '../server';
import * as service from '../service';

type Ref = { id: string };
type ListArgs = { first?: number | null; after?: string | null };

export const resolvers = {
  ...scalarResolvers,
  Query: {
    customer: (_: unknown, args: Ref, { loaders }: CustomerContext) => loaders.customer.load(parseId(args.id)),
    customers: (_: unknown, args: Parameters<typeof service.listCustomers>[1], { prisma, allows }: CustomerContext) =>
      service.listCustomers(prisma, args, allows('Customer.email')),
    contact: (_: unknown, args: Ref, { loaders }: CustomerContext) => loaders.contact.load(parseId(args.id)),
    interaction: (_: unknown, args: Ref, { loaders }: CustomerContext) => loaders.interaction.load(parseId(args.id)),
  },
  Mutation: {
    createCustomer: (_: unknown, args: { input: unknown }, { prisma }: CustomerContext) => service.createCustomer(prisma, args.input),
    updateCustomer: (_: unknown, args: { id: unknown; input: unknown }, { prisma }: CustomerContext) =>
      service.updateCustomer(prisma, args.id, args.input),
    archiveCustomer: (_: unknown, args: Ref, { prisma }: CustomerContext) => service.setArchived(prisma, args.id, true),
    restoreCustomer: (_: unknown, args: Ref, { prisma }: CustomerContext) => service.setArchived(prisma, args.id, false),
    deleteCustomer: (_: unknown, args: Ref, { prisma, peers }: CustomerContext) => service.deleteCustomer(prisma, peers, args.id),
    createContact: (_: unknown, args: { input: unknown }, { prisma }: CustomerContext) => service.createContact(prisma, args.input),
    updateContact: (_: unknown, args: { id: unknown; input: unknown }, { prisma }: CustomerContext) =>
      service.updateContact(prisma, args.id, args.input),
    deleteContact: (_: unknown, args: Ref, { prisma }: CustomerContext) => service.deleteContact(prisma, args.id),
    logInteraction: (_: unknown, args: { input: unknown }, { prisma }: CustomerContext) => service.logInteraction(prisma, args.input),
    deleteInteraction: (_: unknown, args: Ref, { prisma }: CustomerContext) => service.deleteInteraction(prisma, args.id),
  },
  Customer: {
    __resolveReference: (ref: Ref, { loaders }: CustomerContext) => loaders.customer.load(ref.id),
    archived: (customer: Customer) => customer.archivedAt !== null,
    contacts: async (customer: Customer, args: ListArgs, { loaders }: CustomerContext) => {
      const first = pageSize(args.first);
      const page = await loaders.contactsByCustomer({ first, after: args.after }).load(customer.id);
      return toChildConnection('Contact', page, 'createdAt', () => loaders.contactCountByCustomer.load(customer.id));
    },
    interactions: async (customer: Customer, args: ListArgs & { type?: string | null }, { loaders }: CustomerContext) => {
      const first = pageSize(args.first);
      const type = args.type ?? null;
      const page = await loaders.interactionsByCustomer({ first, after: args.after, type }).load(customer.id);
      return toChildConnection('Interaction', page, 'occurredAt', () => loaders.interactionCountByCustomer(type).load(customer.id));
    },
  },
  Contact: {
    __resolveReference: (ref: Ref, { loaders }: CustomerContext) => loaders.contact.load(ref.id),
    customer: (contact: Contact, _: unknown, { loaders }: CustomerContext) => loaders.customer.load(contact.customerId),
  },
  Interaction: {
    __resolveReference: (ref: Ref, { loaders }: CustomerContext) => loaders.interaction.load(ref.id),
    customer: (interaction: Interaction, _: unknown, { loaders }: CustomerContext) => loaders.customer.load(interaction.customerId),
  },
};

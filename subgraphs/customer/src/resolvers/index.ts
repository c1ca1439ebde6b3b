import { SUBGRAPH_NAMES } from '../../../../lib/config';
import { scalarResolvers } from '../../../../lib/scalars';
import { parseId } from '../../../../lib/inputs';
import { pageSize, toChildConnection } from '../../../../lib/pagination';
import type { Resolvers } from '../generated/graphql';
import { erasureProgress, nextStatuses } from '../rules';
import * as service from '../service';

export const resolvers = {
  ...scalarResolvers,
  Query: {
    customer: (_, args, { loaders }) => loaders.customer.load(parseId(args.id)),
    customers: (_, args, { prisma, allows }) => service.listCustomers(prisma, args, allows('Customer.email')),
    contact: (_, args, { loaders }) => loaders.contact.load(parseId(args.id)),
    interaction: (_, args, { loaders }) => loaders.interaction.load(parseId(args.id)),
  },
  Mutation: {
    createCustomer: (_, args, { prisma }) => service.createCustomer(prisma, args.input),
    updateCustomer: (_, args, { prisma }) => service.updateCustomer(prisma, args.id, args.input),
    archiveCustomer: (_, args, { prisma }) => service.setArchived(prisma, args.id, true),
    restoreCustomer: (_, args, { prisma }) => service.setArchived(prisma, args.id, false),
    deleteCustomer: (_, args, { prisma, peers }) => service.deleteCustomer(prisma, peers, args.id),
    eraseCustomer: (_, args, { prisma }) => service.eraseCustomer(prisma, args.id),
    createContact: (_, args, { prisma }) => service.createContact(prisma, args.input),
    updateContact: (_, args, { prisma }) => service.updateContact(prisma, args.id, args.input),
    deleteContact: (_, args, { prisma }) => service.deleteContact(prisma, args.id),
    logInteraction: (_, args, { prisma }) => service.logInteraction(prisma, args.input),
    deleteInteraction: (_, args, { prisma }) => service.deleteInteraction(prisma, args.id),
  },
  Customer: {
    __resolveReference: (ref, { loaders }) => loaders.customer.load(ref.id),
    archived: (customer) => customer.archivedAt !== null,
    // An erased customer is a tombstone that can no longer be changed.
    nextStatuses: (customer) => (customer.erasedAt ? [] : nextStatuses(customer.status)),
    contacts: async (customer, args, { loaders }) => {
      const first = pageSize(args.first);
      const page = await loaders.contactsByCustomer({ first, after: args.after }).load(customer.id);
      return toChildConnection('Contact', page, 'createdAt', () => loaders.contactCountByCustomer.load(customer.id));
    },
    interactions: async (customer, args, { loaders }) => {
      const first = pageSize(args.first);
      const type = args.type ?? null;
      const page = await loaders.interactionsByCustomer({ first, after: args.after, type }).load(customer.id);
      return toChildConnection('Interaction', page, 'occurredAt', () => loaders.interactionCountByCustomer(type).load(customer.id));
    },
    erasure: async (customer, _, { loaders }) =>
      customer.erasedAt ? erasureProgress(customer.erasedAt, await loaders.erasureReportsByCustomer.load(customer.id), SUBGRAPH_NAMES, 'customer') : null,
  },
  Contact: {
    __resolveReference: (ref, { loaders }) => loaders.contact.load(ref.id),
    // Contacts and interactions are deleted with their customer (ON DELETE CASCADE).
    customer: async (contact, _, { loaders }) => (await loaders.customer.load(contact.customerId))!,
  },
  Interaction: {
    __resolveReference: (ref, { loaders }) => loaders.interaction.load(ref.id),
    customer: async (interaction, _, { loaders }) => (await loaders.customer.load(interaction.customerId))!,
  },
} satisfies Resolvers;

import { conflict, notFound, badUserInput } from '../../../lib/errors';
import { fetchEntities, type PeerService } from '../../../lib/entity-client';
import { keyset, pageSize, sortColumn, toConnection, type RootListArgs } from '../../../lib/pagination';
import { writeOrFail } from '../../../lib/prisma-errors';
import { parseId, parseInput } from '../../../lib/inputs';
import type { Prisma, PrismaClient } from './generated/prisma/client';
import {
  createContactInput,
  createCustomerInput,
  customerFilter,
  logInteractionInput,
  updateContactInput,
  updateCustomerInput,
} from './inputs';
import { canMoveStatus } from './rules';

export type Peers = { sales: PeerService; marketing: PeerService };

const SORT_FIELDS = { NAME: sortColumn('name', 'string'), CREATED_AT: sortColumn('createdAt', 'date'), UPDATED_AT: sortColumn('updatedAt', 'date') };

// searchEmail: false for callers who may not read emails, so a search cannot reveal them.
export async function listCustomers(prisma: PrismaClient, args: RootListArgs<keyof typeof SORT_FIELDS>, searchEmail: boolean) {
  const first = pageSize(args.first);
  const filter = parseInput(customerFilter, args.filter, 'filter') ?? {};
  const sort = SORT_FIELDS[args.orderBy?.field ?? 'CREATED_AT'];
  const direction = args.orderBy?.direction ?? 'DESC';
  const where: Prisma.CustomerWhereInput = {
    ...(filter.includeArchived ? {} : { archivedAt: null }),
    ...(filter.status?.length ? { status: { in: filter.status } } : {}),
    ...(filter.kind ? { kind: filter.kind } : {}),
    ...(filter.ownerId ? { ownerId: filter.ownerId } : {}),
    ...(filter.tags?.length ? { tags: { hasSome: filter.tags } } : {}),
    ...(filter.company ? { company: { equals: filter.company, mode: 'insensitive' } } : {}),
    ...(filter.createdAfter || filter.createdBefore
      ? { createdAt: { ...(filter.createdAfter ? { gte: filter.createdAfter } : {}), ...(filter.createdBefore ? { lt: filter.createdBefore } : {}) } }
      : {}),
    ...(filter.search
      ? {
          OR: [
            { name: { contains: filter.search, mode: 'insensitive' } },
            ...(searchEmail ? [{ email: { contains: filter.search, mode: 'insensitive' } } as const] : []),
            { company: { contains: filter.search, mode: 'insensitive' } },
          ],
        }
      : {}),
  };
  const page = keyset<Prisma.CustomerWhereInput, Prisma.CustomerOrderByWithRelationInput>('Customer', sort, direction, args.after);
  const rows = await prisma.customer.findMany({ where: { AND: [where, page.where] }, orderBy: page.orderBy, take: first + 1 });
  return toConnection('Customer', rows, first, sort.field, direction, () => prisma.customer.count({ where }));
}

const EMAIL_TAKEN = { message: 'a customer with this email already exists', field: 'input.email' };

export async function createCustomer(prisma: PrismaClient, rawInput: unknown) {
  const input = parseInput(createCustomerInput, rawInput, 'input');
  return writeOrFail(() => prisma.customer.create({ data: input }), { duplicate: EMAIL_TAKEN });
}

export async function updateCustomer(prisma: PrismaClient, rawId: unknown, rawInput: unknown) {
  const id = parseId(rawId);
  const input = parseInput(updateCustomerInput, rawInput, 'input');
  if (input.name === null) throw badUserInput('input.name: must not be null', 'input.name');
  return prisma.$transaction(async (tx) => {
    const current = await tx.customer.findUnique({ where: { id }, select: { status: true } });
    if (!current) throw notFound('Customer', id);
    if (input.status && !canMoveStatus(current.status, input.status)) {
      throw badUserInput(`input.status: a ${current.status} customer cannot become ${input.status}`, 'input.status');
    }
    return writeOrFail(() => tx.customer.update({ where: { id }, data: input }), { target: { typeName: 'Customer', id }, duplicate: EMAIL_TAKEN });
  });
}

export async function setArchived(prisma: PrismaClient, rawId: unknown, archived: boolean) {
  const id = parseId(rawId);
  return writeOrFail(() => prisma.customer.update({ where: { id }, data: { archivedAt: archived ? new Date() : null } }), { target: { typeName: 'Customer', id } });
}

type SalesRecords = { id: string; orders: { totalCount: number } | null; opportunities: { totalCount: number } | null };
type MarketingRecords = { id: string; campaigns: { id: string }[] | null };

// The customer's records in other services would be orphaned by a delete, so it is refused
// while any exist; if a service cannot be asked, nothing is deleted.
export async function deleteCustomer(prisma: PrismaClient, peers: Peers, rawId: unknown) {
  const id = parseId(rawId);
  const exists = await prisma.customer.findUnique({ where: { id }, select: { id: true } });
  if (!exists) throw notFound('Customer', id);
  const [[sales], [marketing]] = await Promise.all([
    fetchEntities<SalesRecords>(peers.sales, 'Customer', [id], 'id orders(first: 0) { totalCount } opportunities(first: 0) { totalCount }'),
    fetchEntities<MarketingRecords>(peers.marketing, 'Customer', [id], 'id campaigns { id }'),
  ]);
  const held = [
    [sales?.orders?.totalCount ?? 0, 'orders'],
    [sales?.opportunities?.totalCount ?? 0, 'opportunities'],
    [marketing?.campaigns?.length ?? 0, 'campaign memberships'],
  ].filter(([count]) => (count as number) > 0);
  if (held.length > 0) {
    const list = held.map(([count, what]) => `${count} ${what}`).join(', ');
    throw conflict(`Customer ${id} still has ${list}; archive it instead`, 'id');
  }
  await writeOrFail(() => prisma.customer.delete({ where: { id } }), { target: { typeName: 'Customer', id } });
  return id;
}

async function requireCustomer(prisma: PrismaClient, customerId: string) {
  const customer = await prisma.customer.findUnique({ where: { id: customerId }, select: { id: true } });
  if (!customer) throw badUserInput(`customer ${customerId} does not exist`, 'input.customerId');
}

export async function createContact(prisma: PrismaClient, rawInput: unknown) {
  const input = parseInput(createContactInput, rawInput, 'input');
  await requireCustomer(prisma, input.customerId);
  return prisma.contact.create({ data: input });
}

export async function updateContact(prisma: PrismaClient, rawId: unknown, rawInput: unknown) {
  const id = parseId(rawId);
  const input = parseInput(updateContactInput, rawInput, 'input');
  if (input.name === null) throw badUserInput('input.name: must not be null', 'input.name');
  return writeOrFail(() => prisma.contact.update({ where: { id }, data: input }), { target: { typeName: 'Contact', id } });
}

export async function deleteContact(prisma: PrismaClient, rawId: unknown) {
  const id = parseId(rawId);
  await writeOrFail(() => prisma.contact.delete({ where: { id } }), { target: { typeName: 'Contact', id } });
  return id;
}

export async function logInteraction(prisma: PrismaClient, rawInput: unknown) {
  const input = parseInput(logInteractionInput, rawInput, 'input');
  await requireCustomer(prisma, input.customerId);
  return prisma.interaction.create({ data: { ...input, occurredAt: input.occurredAt ?? new Date() } });
}

export async function deleteInteraction(prisma: PrismaClient, rawId: unknown) {
  const id = parseId(rawId);
  await writeOrFail(() => prisma.interaction.delete({ where: { id } }), { target: { typeName: 'Interaction', id } });
  return id;
}

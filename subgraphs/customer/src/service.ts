import { randomUUID } from 'node:crypto';
import { regardlessOfDeadline, timeLeftMs, WRITE_MARGIN_MS } from '../../../lib/deadline';
import { conflict, notFound, badUserInput, SubgraphUnavailableError, TooLateToWriteError } from '../../../lib/errors';
import { callPeerMutation, type PeerService } from '../../../lib/entity-client';
import { appendEvent } from '../../../lib/events/outbox';
import { keyset, pageSize, sortColumn, toConnection, type RootListArgs } from '../../../lib/pagination';
import { writeOrFail } from '../../../lib/prisma-errors';
import { parseId, parseInput } from '../../../lib/inputs';
import { Prisma, type Customer, type LifecycleStatus, type PrismaClient } from './generated/prisma/client';
import {
  createContactInput,
  createCustomerInput,
  customerFilter,
  logInteractionInput,
  updateContactInput,
  updateCustomerInput,
} from './inputs';
import { canMoveStatus, nextStatuses } from './rules';

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
const SOURCE = 'customer';
const ERASED_NAME = 'Erased customer';

// What other services learn of a customer: its state, never the person (lib/events/catalog.ts).
function customerState(customer: Customer) {
  return { status: customer.status, kind: customer.kind, ownerId: customer.ownerId, archived: customer.archivedAt !== null };
}

const erased = (id: string, field = 'id') => conflict(`Customer ${id} has been erased; it can no longer be changed`, field);

type LockedCustomer = { status: LifecycleStatus; erasedAt: Date | null; deletionHoldId: string | null };
const LOCKS = { share: Prisma.sql`FOR SHARE`, update: Prisma.sql`FOR UPDATE` };

// Held until the transaction ends, so an erasure cannot slip in between a check and the write
// that relies on it (FOR SHARE for rows added to the customer, FOR UPDATE to change it).
async function lockCustomer(tx: Prisma.TransactionClient, id: string, mode: keyof typeof LOCKS): Promise<LockedCustomer | undefined> {
  const [row] = await tx.$queryRaw<LockedCustomer[]>`
    SELECT "status"::text AS "status", "erasedAt", "deletionHoldId"::text AS "deletionHoldId" FROM "Customer" WHERE "id" = ${id}::uuid ${LOCKS[mode]}`;
  return row;
}

async function lockToChange(tx: Prisma.TransactionClient, id: string): Promise<LockedCustomer> {
  const customer = await lockCustomer(tx, id, 'update');
  if (!customer) throw notFound('Customer', id);
  if (customer.erasedAt) throw erased(id);
  return customer;
}

export async function createCustomer(prisma: PrismaClient, rawInput: unknown) {
  const input = parseInput(createCustomerInput, rawInput, 'input');
  return writeOrFail(
    () =>
      prisma.$transaction(async (tx) => {
        const customer = await tx.customer.create({ data: input });
        await appendEvent(tx, SOURCE, 'customer.created', customer.id, customerState(customer));
        return customer;
      }),
    { duplicate: EMAIL_TAKEN },
  );
}

export async function updateCustomer(prisma: PrismaClient, rawId: unknown, rawInput: unknown) {
  const id = parseId(rawId);
  const input = parseInput(updateCustomerInput, rawInput, 'input');
  return prisma.$transaction(async (tx) => {
    const current = await lockToChange(tx, id);
    if (input.status && !canMoveStatus(current.status, input.status)) {
      throw badUserInput(`input.status: a customer that is ${current.status} cannot become ${input.status}; it can become ${nextStatuses(current.status).join(' or ')}`, 'input.status');
    }
    const customer = await writeOrFail(() => tx.customer.update({ where: { id }, data: input }), { duplicate: EMAIL_TAKEN });
    await appendEvent(tx, SOURCE, 'customer.updated', id, customerState(customer));
    return customer;
  });
}

export async function setArchived(prisma: PrismaClient, rawId: unknown, archived: boolean) {
  const id = parseId(rawId);
  return prisma.$transaction(async (tx) => {
    await lockToChange(tx, id);
    const customer = await tx.customer.update({ where: { id }, data: { archivedAt: archived ? new Date() : null } });
    await appendEvent(tx, SOURCE, archived ? 'customer.archived' : 'customer.restored', id, customerState(customer));
    return customer;
  });
}

// Each service that keeps records of customers holds the customer (refusing new records of it)
// or answers what it still has of it, e.g. ["3 orders", "1 opportunity"].
const HOLD_MUTATIONS = {
  sales: 'mutation($customerId: ID!, $holdId: ID!) { held: _holdCustomerInSales(customerId: $customerId, holdId: $holdId) }',
  marketing: 'mutation($customerId: ID!, $holdId: ID!) { held: _holdCustomerInMarketing(customerId: $customerId, holdId: $holdId) }',
} satisfies Record<keyof Peers, string>;

const RELEASE_MUTATIONS = {
  sales: 'mutation($customerId: ID!, $holdId: ID!) { released: _releaseCustomerInSales(customerId: $customerId, holdId: $holdId) }',
  marketing: 'mutation($customerId: ID!, $holdId: ID!) { released: _releaseCustomerInMarketing(customerId: $customerId, holdId: $holdId) }',
} satisfies Record<keyof Peers, string>;

// A hold this old belongs to a deletion whose process died before it deleted or cancelled.
export const STALE_HOLD_MS = 60_000;

// Deletion is two-phase, because a check in another service followed by a delete here races
// with new orders and memberships: this row is held (no second deletion, no erasure), then
// each service holds the customer in the same transaction in which it counts its records, so
// a record written before the hold is counted and one written after it is refused. Deleted
// only when every service holds it and there is time to answer; otherwise every hold is
// released (customer.deletion-cancelled) and nothing is deleted.
export async function deleteCustomer(prisma: PrismaClient, peers: Peers, rawId: unknown) {
  const id = parseId(rawId);
  const holdId = randomUUID();
  await holdForDeletion(prisma, id, holdId);
  const names = Object.keys(HOLD_MUTATIONS) as (keyof Peers)[];
  let lastToAnswer = names[0];
  const answers = await Promise.allSettled(
    names.map(async (name) => {
      try {
        return (await callPeerMutation<{ held: string[] }>(peers[name], HOLD_MUTATIONS[name], { customerId: id, holdId })).held;
      } finally {
        lastToAnswer = name;
      }
    }),
  );
  const stillHas = answers.flatMap((answer) => (answer.status === 'fulfilled' ? answer.value : []));
  const failure = answers.find((answer): answer is PromiseRejectedResult => answer.status === 'rejected');
  const inTime = timeLeftMs() >= WRITE_MARGIN_MS;
  // The deletion commits only while the caller waits (lib/db.ts); if it could not, it is undone.
  const deleted = !stillHas.length && !failure && inTime && (await finishDeletion(prisma, id, holdId).catch(rethrowUnlessTooLate));
  if (deleted) return id;
  await regardlessOfDeadline(() => releaseHolds(prisma, peers, names, answers, id, holdId));
  // What a service still has refuses the deletion whatever the others would answer.
  if (stillHas.length) throw conflict(`Customer ${id} still has ${stillHas.join(', ')}; archive it instead`, 'id');
  if (failure) throw failure.reason;
  if (!inTime || deleted === null) throw new SubgraphUnavailableError(peers[lastToAnswer].name, 'it answered too late to delete anything; nothing was deleted');
  throw conflict(`the deletion of Customer ${id} took longer than ${STALE_HOLD_MS / 1000} s and was cancelled; nothing was deleted, try again`, 'id');
}

// null: the caller gave up before the deletion could commit, so it rolled back.
const rethrowUnlessTooLate = (error: unknown): null => {
  if (error instanceof TooLateToWriteError) return null;
  throw error;
};

// A service that refused rolled its hold back. One that holds the customer is asked to release
// it; one that did not answer (it may have committed) or cannot be asked is told by
// customer.deletion-cancelled. So a refused deletion leaves every database as it was.
async function releaseHolds(prisma: PrismaClient, peers: Peers, names: (keyof Peers)[], answers: PromiseSettledResult<string[]>[], id: string, holdId: string): Promise<void> {
  const released = await Promise.all(
    names.map(async (name, index) => {
      const answer = answers[index];
      if (answer.status === 'fulfilled' && answer.value.length) return true;
      if (answer.status === 'rejected') return false;
      return callPeerMutation(peers[name], RELEASE_MUTATIONS[name], { customerId: id, holdId }).then(
        () => true,
        () => false,
      );
    }),
  );
  await cancelDeletion(prisma, id, holdId, released.every(Boolean) ? 'never' : 'always');
}

// Raw SQL so that the hold does not touch updatedAt: it changes nothing a client sees.
async function holdForDeletion(prisma: PrismaClient, id: string, holdId: string): Promise<void> {
  const held = await prisma.$executeRaw`
    UPDATE "Customer" SET "deletionHoldId" = ${holdId}::uuid, "deletionStartedAt" = ${new Date()}
    WHERE "id" = ${id}::uuid AND "deletionHoldId" IS NULL AND "erasedAt" IS NULL`;
  if (held === 1) return;
  const current = await prisma.customer.findUnique({ where: { id }, select: { erasedAt: true } });
  if (!current) throw notFound('Customer', id);
  if (current.erasedAt) throw erased(id);
  throw conflict('a deletion of this customer is already in progress', 'id');
}

// False when the hold is gone: the sweeper cancelled a deletion that took too long.
async function finishDeletion(prisma: PrismaClient, id: string, holdId: string): Promise<boolean> {
  return prisma.$transaction(async (tx) => {
    const { count } = await tx.customer.deleteMany({ where: { id, deletionHoldId: holdId } });
    if (count === 0) return false;
    await appendEvent(tx, SOURCE, 'customer.deleted', id, { holdId });
    return true;
  });
}

// announce: 'always' when other services may hold the customer for this deletion, even if the
// sweeper released this row's hold first (a service's hold may have committed after it heard
// of that cancellation); 'if-released' when only a hold still found here can be outstanding.
async function cancelDeletion(prisma: PrismaClient, id: string, holdId: string, announce: 'always' | 'if-released' | 'never'): Promise<boolean> {
  return prisma.$transaction(async (tx) => {
    const released = await tx.$executeRaw`
      UPDATE "Customer" SET "deletionHoldId" = NULL, "deletionStartedAt" = NULL WHERE "id" = ${id}::uuid AND "deletionHoldId" = ${holdId}::uuid`;
    if (announce === 'always' || (announce === 'if-released' && released > 0)) await appendEvent(tx, SOURCE, 'customer.deletion-cancelled', id, { holdId });
    return released > 0;
  });
}

// Cancels the deletions a process started and never finished; returns how many it released.
export async function cancelStaleDeletions(prisma: PrismaClient): Promise<number> {
  const stale = await prisma.customer.findMany({
    where: { deletionHoldId: { not: null }, deletionStartedAt: { lt: new Date(Date.now() - STALE_HOLD_MS) } },
    select: { id: true, deletionHoldId: true },
  });
  let released = 0;
  for (const { id, deletionHoldId } of stale) if (await cancelDeletion(prisma, id, deletionHoldId!, 'if-released')) released++;
  return released;
}

// The right to be forgotten: the person goes, the row stays as a tombstone that orders and
// campaign revenue keep pointing at; customer.erased asks every other service to erase what
// it holds. Erasing again returns the tombstone and announces nothing.
export async function eraseCustomer(prisma: PrismaClient, rawId: unknown) {
  const id = parseId(rawId);
  return prisma.$transaction(async (tx) => {
    const current = await lockCustomer(tx, id, 'update');
    if (!current) throw notFound('Customer', id);
    if (current.erasedAt) return tx.customer.findUniqueOrThrow({ where: { id } });
    // The deletion may still go ahead, which takes the person with it; if it is refused, the
    // erasure can be asked again a moment later.
    if (current.deletionHoldId) throw conflict('a deletion of this customer is in progress; try again once it has finished', 'id');
    const erasedAt = new Date();
    await tx.contact.deleteMany({ where: { customerId: id } });
    await tx.interaction.deleteMany({ where: { customerId: id } });
    const customer = await tx.customer.update({ where: { id }, data: { name: ERASED_NAME, email: null, phone: null, company: null, tags: [], erasedAt } });
    await appendEvent(tx, SOURCE, 'customer.erased', id, { requestedAt: erasedAt.toISOString() });
    return customer;
  });
}

// Contacts and interactions are personal data: none is added to an erased customer, and the
// lock keeps an erasure from running between the check and the insert.
async function addToCustomer<T>(prisma: PrismaClient, customerId: string, write: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
  return prisma.$transaction(async (tx) => {
    const customer = await lockCustomer(tx, customerId, 'share');
    if (!customer) throw badUserInput(`customer ${customerId} does not exist`, 'input.customerId');
    if (customer.erasedAt) throw erased(customerId, 'input.customerId');
    return write(tx);
  });
}

export async function createContact(prisma: PrismaClient, rawInput: unknown) {
  const input = parseInput(createContactInput, rawInput, 'input');
  return addToCustomer(prisma, input.customerId, (tx) => tx.contact.create({ data: input }));
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
  return addToCustomer(prisma, input.customerId, (tx) => tx.interaction.create({ data: { ...input, occurredAt: input.occurredAt ?? new Date() } }));
}

export async function deleteInteraction(prisma: PrismaClient, rawId: unknown) {
  const id = parseId(rawId);
  await writeOrFail(() => prisma.interaction.delete({ where: { id } }), { target: { typeName: 'Interaction', id } });
  return id;
}

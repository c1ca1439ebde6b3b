import { conflict, notFound } from './errors';

// Prisma signals constraint failures with stable codes; these are the ones services turn into
// client errors (duck-typed so every subgraph's generated client can share them).
function prismaCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

export const isUniqueViolation = (error: unknown) => prismaCode(error) === 'P2002';
export const isRecordMissing = (error: unknown) => prismaCode(error) === 'P2025';

type WriteErrors = {
  // The record the write targets, reported as NOT_FOUND when it is gone.
  target?: { typeName: string; id: string };
  // What a unique-constraint failure means to the client.
  duplicate?: { message: string; field: string };
};

export async function writeOrFail<T>(write: () => Promise<T>, errors: WriteErrors): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (errors.target && isRecordMissing(error)) throw notFound(errors.target.typeName, errors.target.id);
    if (errors.duplicate && isUniqueViolation(error)) throw conflict(errors.duplicate.message, errors.duplicate.field);
    throw error;
  }
}

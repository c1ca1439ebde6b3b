// Prisma signals constraint failures with stable codes; these name the ones services map to
// client errors (duck-typed so every subgraph's generated client can share them).
function prismaCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

export const isUniqueViolation = (error: unknown) => prismaCode(error) === 'P2002';
export const isRecordMissing = (error: unknown) => prismaCode(error) === 'P2025';

import { GraphQLError } from 'graphql';

// Every error a client can cause carries a stable code and, where one field is to blame,
// that field's path, so clients can show it next to the right input.
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'SUBGRAPH_UNAVAILABLE'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'MUTATION_NOT_RUN'
  | 'RATE_LIMITED'
  | 'INTERNAL_SERVER_ERROR';

// Messages start with the field they are about, so they read well even without the code.
export function clientError(code: ErrorCode, message: string, field?: string): GraphQLError {
  const text = field && !message.startsWith(`${field}:`) ? `${field}: ${message}` : message;
  return new GraphQLError(text, { extensions: { code, ...(field ? { field } : {}) } });
}

export function badUserInput(message: string, field: string): GraphQLError {
  return clientError('BAD_USER_INPUT', message, field);
}

export function notFound(typeName: string, id: string, field = 'id'): GraphQLError {
  return clientError('NOT_FOUND', `${typeName} ${id} does not exist`, field);
}

export function conflict(message: string, field?: string): GraphQLError {
  return clientError('CONFLICT', message, field);
}

// A service this request needed did not answer: raised by the gateway for the fields a failed
// subgraph owns, and by a subgraph whose write needed another one.
export class SubgraphUnavailableError extends GraphQLError {
  constructor(service: string, reason: string) {
    super(`The ${service} service is unavailable: ${reason}`, {
      extensions: { code: 'SUBGRAPH_UNAVAILABLE', service },
    });
  }
}

// A write whose caller has given up (the gateway has told the client it failed) is rolled back
// instead of committed, so what the client was told stays true.
export class TooLateToWriteError extends GraphQLError {
  constructor() {
    super('The write was not committed: the caller had given up waiting for it; nothing was written', { extensions: { code: 'SUBGRAPH_UNAVAILABLE' } });
  }
}

// Root mutation fields run one after another. Once one has failed, the later ones are not run,
// so a client never gets writes it was not told about; earlier fields keep their results.
export function mutationNotRun(field: string, failedField: string): GraphQLError {
  return new GraphQLError(`${field}: not run, because the earlier mutation field ${failedField} failed`, {
    path: [field],
    extensions: { code: 'MUTATION_NOT_RUN', field, failedField },
  });
}

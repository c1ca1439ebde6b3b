import {
  defaultFieldResolver,
  getNamedType,
  isObjectType,
  Kind,
  type ConstDirectiveNode,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from 'graphql';
import { isRole, ROLES, type Identity, type Role } from './auth';
import { clientError } from './errors';

// What a field or type asks of the caller, read from Federation's @authenticated and
// @requiresScopes in the subgraph's SDL. Scopes are role names; the outer list is "any of",
// the inner "all of", as in Federation.
type Requirement = { authenticated: boolean; anyOf: Role[][] | null };

const NONE: Requirement = { authenticated: false, anyOf: null };

// Federation names the directives federation__* when a schema does not import them.
const directiveName = (directive: ConstDirectiveNode) => directive.name.value.replace(/^federation__/, '');

// A rule that cannot be read is refused at start-up rather than read as "anyone".
function scopesOf(directive: ConstDirectiveNode, where: string): Role[][] {
  const scopes = directive.arguments?.find((argument) => argument.name.value === 'scopes')?.value;
  const groups = scopes?.kind === Kind.LIST ? scopes.values : [];
  const anyOf = groups.map((group) => (group.kind === Kind.LIST ? group.values.map((value) => (value.kind === Kind.STRING ? value.value : '')) : []));
  if (!anyOf.length || anyOf.some((group) => !group.length || !group.every(isRole))) {
    throw new Error(`@requiresScopes on ${where} must be a non-empty list of lists of roles (${ROLES.join(', ')})`);
  }
  return anyOf as Role[][];
}

function requirementOf(directives: readonly ConstDirectiveNode[] | undefined, where: string): Requirement {
  let requirement = NONE;
  for (const directive of directives ?? []) {
    if (directiveName(directive) === 'authenticated') requirement = both(requirement, { authenticated: true, anyOf: null });
    if (directiveName(directive) === 'requiresScopes') requirement = both(requirement, { authenticated: true, anyOf: scopesOf(directive, where) });
  }
  return requirement;
}

// Both requirements hold: every pair of groups joined, dropping groups another group already
// satisfies (ADMIN, or ADMIN and SALES → ADMIN).
function both(a: Requirement, b: Requirement): Requirement {
  if (!a.anyOf || !b.anyOf) return { authenticated: a.authenticated || b.authenticated, anyOf: a.anyOf ?? b.anyOf };
  const groups = a.anyOf.flatMap((left) => b.anyOf!.map((right) => [...new Set([...left, ...right])]));
  const minimal = groups.filter((group, index) => !groups.some((other, j) => j !== index && other.every((role) => group.includes(role)) && (other.length < group.length || j < index)));
  return { authenticated: true, anyOf: minimal };
}

const isEmpty = (requirement: Requirement) => !requirement.authenticated && !requirement.anyOf;

const describe = (anyOf: Role[][]) => anyOf.map((group) => group.join(' and ')).join(' or ');

// What a peer subgraph may do: look up entities to check a write, nothing else.
const SERVICE_ENTRY_POINTS = new Set(['Query._entities']);

function authorize(identity: Identity, requirement: Requirement, field: string, root: boolean): void {
  if (identity.kind === 'service') {
    if (root && !SERVICE_ENTRY_POINTS.has(field)) throw clientError('FORBIDDEN', 'services may only look up entities', field);
    return;
  }
  if (identity.kind === 'anonymous') throw clientError('UNAUTHENTICATED', 'sign in to use this field', field);
  const { roles } = identity;
  if (requirement.anyOf && !requirement.anyOf.some((group) => group.every((role) => roles.includes(role)))) {
    throw clientError('FORBIDDEN', `requires the role ${describe(requirement.anyOf)}`, field);
  }
}

type Guarded = GraphQLFieldResolver<unknown, { identity: Identity }>;

// A root field marked @inaccessible is not in the gateway's API: it is how peer subgraphs ask
// this one to act (e.g. hold a customer while it is deleted), and only they may call it.
function internalOnly(resolve: Guarded, field: string): Guarded {
  return (source, args, context, info: GraphQLResolveInfo) => {
    if (context.identity.kind !== 'service') throw clientError('FORBIDDEN', 'only other services may use this field', field);
    return resolve(source, args, context, info);
  };
}

function guard(resolve: Guarded, requirement: Requirement, field: string, root: boolean): Guarded {
  return (source, args, context, info: GraphQLResolveInfo) => {
    authorize(context.identity, requirement, field, root);
    return resolve(source, args, context, info);
  };
}

type ResolveReference = (reference: object, context: { identity: Identity }, info: GraphQLResolveInfo) => unknown;
// Where @apollo/subgraph keeps an entity's __resolveReference.
type EntityExtensions = { apollo?: { subgraph?: { resolveReference?: ResolveReference } } };

// Enforces the schema's declarations in the subgraph that owns the data. A requirement on a
// root type applies to each of its fields; one on any other type guards every way into it
// (fields returning it and entity references from other subgraphs), so its own fields need
// no check of their own and cost nothing extra per row. (Federation forbids these directives on
// interfaces; a field returning a union is not guarded by its members' type rules, and this graph
// has no such field besides _entities, which the reference guard covers.)
// Returns whether an identity may read a field (by coordinate, e.g. Customer.email), for
// services that must not let a caller learn through a filter what it may not read.
export function enforceAuthorization(schema: GraphQLSchema): (identity: Identity, coordinate: string) => boolean {
  const fieldRequirement = new Map<string, Requirement>();
  const roots = new Set([schema.getQueryType(), schema.getMutationType()].filter(Boolean));
  const typeRequirement = new Map<string, Requirement>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const requirement = [type.astNode, ...type.extensionASTNodes].reduce((sum, node) => both(sum, requirementOf(node?.directives, type.name)), NONE);
    if (!isEmpty(requirement)) typeRequirement.set(type.name, requirement);
  }
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const own = roots.has(type) ? (typeRequirement.get(type.name) ?? NONE) : NONE;
    for (const field of Object.values(type.getFields())) {
      if (roots.has(type) && field.astNode?.directives?.some((directive) => directiveName(directive) === 'inaccessible')) {
        field.resolve = internalOnly((field.resolve as Guarded) ?? defaultFieldResolver, `${type.name}.${field.name}`);
        continue;
      }
      const returned = typeRequirement.get(getNamedType(field.type).name) ?? NONE;
      const coordinate = `${type.name}.${field.name}`;
      const requirement = [requirementOf(field.astNode?.directives, coordinate), returned].reduce(both, own);
      if (isEmpty(requirement)) continue;
      fieldRequirement.set(coordinate, requirement);
      field.resolve = guard((field.resolve as Guarded) ?? defaultFieldResolver, requirement, coordinate, roots.has(type));
    }
    const requirement = typeRequirement.get(type.name);
    if (requirement && !roots.has(type)) {
      const subgraph = ((type.extensions as EntityExtensions).apollo ??= {}).subgraph ??= {};
      const resolveReference: ResolveReference = subgraph.resolveReference ?? ((reference) => reference);
      subgraph.resolveReference = (reference, context, info) => {
        authorize(context.identity, requirement, type.name, false);
        return resolveReference(reference, context, info);
      };
    }
  }
  return (identity, coordinate) => {
    const requirement = fieldRequirement.get(coordinate);
    if (!requirement) return true;
    try {
      authorize(identity, requirement, coordinate, false);
      return true;
    } catch {
      return false;
    }
  };
}

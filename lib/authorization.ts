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
import { isRole, type Identity, type Role } from './auth';
import { clientError } from './errors';

// What a field or type asks of the caller, read from Federation's @authenticated and
// @requiresScopes in the subgraph's SDL. Scopes are role names; the outer list is "any of",
// the inner "all of", as in Federation.
type Requirement = { authenticated: boolean; anyOf: Role[][] | null };

const NONE: Requirement = { authenticated: false, anyOf: null };

function requirementOf(directives: readonly ConstDirectiveNode[] | undefined): Requirement {
  let requirement = NONE;
  for (const directive of directives ?? []) {
    if (directive.name.value === 'authenticated') requirement = both(requirement, { authenticated: true, anyOf: null });
    if (directive.name.value === 'requiresScopes') {
      const scopes = directive.arguments?.find((argument) => argument.name.value === 'scopes')?.value;
      if (scopes?.kind !== Kind.LIST) continue;
      const anyOf = scopes.values.map((group) =>
        group.kind === Kind.LIST ? group.values.map((value) => (value.kind === Kind.STRING ? value.value : '')).filter(isRole) : [],
      );
      requirement = both(requirement, { authenticated: true, anyOf });
    }
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

function authorize(identity: Identity, requirement: Requirement, field: string): void {
  // Peer subgraphs only look up entities to check a write; their token proves who they are.
  if (identity.kind === 'service') return;
  if (identity.kind === 'anonymous') throw clientError('UNAUTHENTICATED', 'sign in to use this field', field);
  const { roles } = identity;
  if (requirement.anyOf && !requirement.anyOf.some((group) => group.every((role) => roles.includes(role)))) {
    throw clientError('FORBIDDEN', `requires the role ${describe(requirement.anyOf)}`, field);
  }
}

type Guarded = GraphQLFieldResolver<unknown, { identity: Identity }>;

function guard(resolve: Guarded, requirement: Requirement, field: string): Guarded {
  return (source, args, context, info: GraphQLResolveInfo) => {
    authorize(context.identity, requirement, field);
    return resolve(source, args, context, info);
  };
}

type ResolveReference = (reference: object, context: { identity: Identity }, info: GraphQLResolveInfo) => unknown;
// Where @apollo/subgraph keeps an entity's __resolveReference.
type EntityExtensions = { apollo?: { subgraph?: { resolveReference?: ResolveReference } } };

// Enforces the schema's declarations in the subgraph that owns the data. A requirement on a
// root type applies to each of its fields; one on any other type guards every way into it
// (fields returning it and entity references from other subgraphs), so its own fields need
// no check of their own and cost nothing extra per row.
export function enforceAuthorization(schema: GraphQLSchema): void {
  const roots = new Set([schema.getQueryType(), schema.getMutationType()].filter(Boolean));
  const typeRequirement = new Map<string, Requirement>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const requirement = [type.astNode, ...type.extensionASTNodes].reduce((sum, node) => both(sum, requirementOf(node?.directives)), NONE);
    if (!isEmpty(requirement)) typeRequirement.set(type.name, requirement);
  }
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const own = roots.has(type) ? (typeRequirement.get(type.name) ?? NONE) : NONE;
    for (const field of Object.values(type.getFields())) {
      const returned = typeRequirement.get(getNamedType(field.type).name) ?? NONE;
      const requirement = [requirementOf(field.astNode?.directives), returned].reduce(both, own);
      if (!isEmpty(requirement)) field.resolve = guard((field.resolve as Guarded) ?? defaultFieldResolver, requirement, `${type.name}.${field.name}`);
    }
    const requirement = typeRequirement.get(type.name);
    if (requirement && !roots.has(type)) {
      const subgraph = ((type.extensions as EntityExtensions).apollo ??= {}).subgraph ??= {};
      const resolveReference: ResolveReference = subgraph.resolveReference ?? ((reference) => reference);
      subgraph.resolveReference = (reference, context, info) => {
        authorize(context.identity, requirement, type.name);
        return resolveReference(reference, context, info);
      };
    }
  }
}

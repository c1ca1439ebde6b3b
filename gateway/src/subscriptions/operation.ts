import {
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  isObjectType,
  Kind,
  parse,
  print,
  specifiedRules,
  validate,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
  type ValidationRule,
  type VariableDefinitionNode,
} from 'graphql';
import type { Identity } from '../../../lib/auth';
import { fragmentsOf, operationCost, withoutSuggestion } from '../operation-limits';
import { SUBSCRIPTION_FIELDS, type SubscriptionField } from './fields';

// What a client sends to subscribe (or, over the same transports, to query or mutate).
export type OperationRequest = { query?: string; operationName?: string | null; variables?: Record<string, unknown> | null; extensions?: Record<string, unknown> | null };

// Who may subscribe to each field, as the supergraph's @authenticated and @requiresScopes say.
export type FieldAccess = { authenticated: boolean; scopes: string[][] | null };

export type OperationLimits = { validationRules: readonly ValidationRule[]; maxTokens: number; maxCost: number; production: boolean };

// The federated query that reads a subscriber's entities for one event, and what a subscriber
// shares with others: subscribers whose fetchKey is equal need one fetch per event between them,
// and those whose resultKey is equal receive the very same result.
export type EntityFetch = { query: string; variables: Record<string, unknown>; idVariables: Record<string, string> };

export type PreparedSubscription = {
  kind: 'subscription';
  fieldName: string;
  // The root field's response name (its alias, if any): where fetched errors' paths start.
  rootKey: string;
  field: SubscriptionField;
  args: Record<string, unknown>;
  document: DocumentNode;
  operationName: string | undefined;
  variableValues: Record<string, unknown>;
  fetch: EntityFetch | null;
  fetchKey: string;
  resultKey: string;
};

const SUBSCRIPTION_FIELDS_ENTITIES = new Set(Object.values(SUBSCRIPTION_FIELDS).flatMap((field) => field.entities));

function refusal(message: string, code: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}

// Every node of the subscription's one root field (validation has made sure there is one
// response name; the field may still be written several times, each with its own selection).
function rootFieldsOf(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>): FieldNode[] {
  return selectionSet.selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return [selection];
    const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
    return fragment ? rootFieldsOf(fragment.selectionSet, fragments) : [];
  });
}

class TooLargeError extends Error {}

// The payload's selection with everything but its entity fields left out, fragments inlined
// and directives kept, so that it reads as a selection of root query fields: `customer { name }`
// on CustomerChangedEvent becomes `customer(id: $…) { name }` on Query.
// Inlining copies a fragment at each of its spreads, so the copies are counted against a budget:
// a small document of fragments spreading fragments would otherwise become a huge query.
function entitySelections(selectionSet: SelectionSetNode, entities: ReadonlySet<string>, idVariables: Record<string, string>, fragments: Map<string, FragmentDefinitionNode>, budget: { left: number }): SelectionNode[] {
  const selections: SelectionNode[] = [];
  for (const selection of selectionSet.selections) {
    if (--budget.left < 0) throw new TooLargeError();
    if (selection.kind === Kind.FIELD) {
      if (!entities.has(selection.name.value)) continue;
      const variable = idVariables[selection.name.value];
      selections.push({
        ...selection,
        arguments: [{ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'id' }, value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: variable } } }],
      });
      continue;
    }
    const inner = selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : fragments.get(selection.name.value)!.selectionSet;
    const kept = entitySelections(inner, entities, idVariables, fragments, budget);
    if (kept.length) selections.push({ kind: Kind.INLINE_FRAGMENT, directives: selection.directives, selectionSet: { kind: Kind.SELECTION_SET, selections: kept } });
  }
  return selections;
}

// The fragments and variables a set of selections uses, directly or through other fragments.
function usedBy(selections: readonly SelectionNode[], fragments: Map<string, FragmentDefinitionNode>): { fragments: FragmentDefinitionNode[]; variables: Set<string> } {
  const usedFragments = new Map<string, FragmentDefinitionNode>();
  const variables = new Set<string>();
  const pending: SelectionSetNode[] = [{ kind: Kind.SELECTION_SET, selections }];
  while (pending.length) {
    visit(pending.pop()!, {
      Variable: (node) => void variables.add(node.name.value),
      FragmentSpread: (node) => {
        const fragment = fragments.get(node.name.value);
        if (fragment && !usedFragments.has(node.name.value)) {
          usedFragments.set(node.name.value, fragment);
          pending.push(fragment.selectionSet);
        }
      },
    });
  }
  return { fragments: [...usedFragments.values()], variables };
}

function entityFetch(operation: OperationDefinitionNode, payloadSelections: readonly SelectionSetNode[], field: SubscriptionField, payloadType: GraphQLObjectType, variableValues: Record<string, unknown>, fragments: Map<string, FragmentDefinitionNode>, maxTokens: number): EntityFetch | null {
  const taken = new Set((operation.variableDefinitions ?? []).map((definition) => definition.variable.name.value));
  const idVariables: Record<string, string> = {};
  for (const entity of field.entities) {
    let name = `${entity}IdOfEvent`;
    while (taken.has(name)) name = `_${name}`;
    taken.add(name);
    idVariables[entity] = name;
  }
  const budget = { left: maxTokens };
  const selections = payloadSelections.flatMap((selectionSet) => entitySelections(selectionSet, new Set(field.entities), idVariables, fragments, budget));
  if (!selections.length) return null;
  const used = usedBy(selections, fragments);
  const idDefinitions: VariableDefinitionNode[] = field.entities
    .filter((entity) => used.variables.has(idVariables[entity]))
    .map((entity) => {
      const type = payloadType.getFields()[entity].type;
      if (!isObjectType(type)) throw new Error(`${payloadType.name}.${entity} must be a nullable object type`);
      return { kind: Kind.VARIABLE_DEFINITION, variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: idVariables[entity] } }, type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'ID' } } } };
    });
  const userDefinitions = (operation.variableDefinitions ?? []).filter((definition) => used.variables.has(definition.variable.name.value));
  const query: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: 'query' as OperationDefinitionNode['operation'],
        name: { kind: Kind.NAME, value: `${operation.name?.value ?? 'Subscription'}Entities` },
        variableDefinitions: [...userDefinitions, ...idDefinitions],
        selectionSet: { kind: Kind.SELECTION_SET, selections },
      },
      ...used.fragments,
    ],
  };
  const variables = Object.fromEntries(userDefinitions.map((definition) => [definition.variable.name.value, variableValues[definition.variable.name.value]]));
  const printed = print(query);
  // The gateway parses the query with its token limit at every event: refuse it now instead.
  parse(printed, { maxTokens });
  return { query: printed, variables, idVariables };
}

const stableJson = (value: unknown): string => JSON.stringify(value, (_key, inner: unknown) => (inner && typeof inner === 'object' && !Array.isArray(inner) ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : 1))) : inner));

const rolesOf = (identity: Identity) => (identity.kind === 'user' ? [...identity.roles].sort() : []);

// Checks a subscription as the gateway checks any operation (size, depth, aliases, cost,
// validity, variables), then who may subscribe; and works out the federated query its events
// need. Queries and mutations are left to the gateway's own pipeline.
export function prepareOperation(
  request: OperationRequest,
  identity: Identity,
  context: { schema: GraphQLSchema; access: ReadonlyMap<string, FieldAccess>; limits: OperationLimits },
): PreparedSubscription | { kind: 'operation'; document: DocumentNode } | { kind: 'refused'; errors: GraphQLError[] } {
  const { schema, access, limits } = context;
  const refused = (...errors: GraphQLError[]) => ({ kind: 'refused' as const, errors });
  if (typeof request.query !== 'string' || !request.query) return refused(refusal('The request has no query document', 'BAD_REQUEST'));
  let document: DocumentNode;
  try {
    document = parse(request.query, { maxTokens: limits.maxTokens });
  } catch (error) {
    return refused(refusal((error as Error).message, 'GRAPHQL_PARSE_FAILED'));
  }
  const operationName = request.operationName ?? undefined;
  const operation = getOperationAST(document, operationName);
  if (!operation) return refused(refusal(`The document has no operation named ${JSON.stringify(operationName ?? '')}, or several and no operationName`, 'OPERATION_RESOLUTION_FAILURE'));
  if (operation.operation !== 'subscription') return { kind: 'operation', document };
  const withoutSuggestions = (message: string) => (limits.production ? withoutSuggestion(message) : message);
  let invalid: readonly GraphQLError[];
  try {
    invalid = validate(schema, document, [...specifiedRules, ...limits.validationRules]);
  } catch {
    // graphql-js throws on some invalid subscriptions (a root field under @skip with a variable).
    return refused(refusal('The subscription must select exactly one root field, without @skip or @include', 'GRAPHQL_VALIDATION_FAILED'));
  }
  if (invalid.length) {
    return refused(
      ...invalid.map((error) =>
        // The code Apollo gives every validation error over HTTP, the limits' included.
        refusal(withoutSuggestions(error.message), 'GRAPHQL_VALIDATION_FAILED'),
      ),
    );
  }
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {});
  if (coerced.errors) return refused(...coerced.errors.map((error) => refusal(withoutSuggestions(error.message), 'BAD_USER_INPUT')));
  const variableValues = coerced.coerced;
  let cost: number;
  try {
    cost = operationCost(schema, document, variableValues, operationName);
  } catch (error) {
    return refused(refusal(withoutSuggestions((error as Error).message), 'BAD_USER_INPUT'));
  }
  if (cost > limits.maxCost) {
    return refused(refusal(`The operation would cost ${cost}, above the limit of ${limits.maxCost}: ask for smaller pages or fewer nested lists`, 'QUERY_TOO_COMPLEX', { cost, maxCost: limits.maxCost }));
  }

  const fragments = fragmentsOf(document);
  const rootFields = rootFieldsOf(operation.selectionSet, fragments);
  const rootField = rootFields[0];
  const fieldName = rootField.name.value;
  const rules = access.get(fieldName);
  if (rules?.authenticated && identity.kind === 'anonymous') return refused(refusal(`Subscribing to ${fieldName} needs a signed-in user`, 'UNAUTHENTICATED'));
  if (rules?.scopes && (identity.kind !== 'user' || !rules.scopes.some((scope) => scope.every((role) => (identity.roles as string[]).includes(role))))) {
    return refused(refusal(`Subscribing to ${fieldName} needs one of the roles ${rules.scopes.map((scope) => scope.join('+')).join(', ')}`, 'FORBIDDEN'));
  }
  const field = SUBSCRIPTION_FIELDS[fieldName];
  const subscriptionType = schema.getSubscriptionType()!;
  const fieldDefinition = subscriptionType.getFields()[fieldName];
  const payloadType = (fieldDefinition.type as { ofType: GraphQLObjectType }).ofType;
  // Messages and fields name the argument, as the subgraphs' checks of theirs do.
  const parsedArgs = field.args.safeParse(getArgumentValues(fieldDefinition, rootField, variableValues));
  if (!parsedArgs.success) {
    const issue = parsedArgs.error.issues[0];
    const at = issue.path.map(String).join('.');
    return refused(refusal(`${at}: ${issue.message}`, 'BAD_USER_INPUT', { field: at }));
  }
  const args = parsedArgs.data as Record<string, unknown>;
  let fetch: EntityFetch | null;
  try {
    fetch = entityFetch(operation, rootFields.map((node) => node.selectionSet!), field, payloadType, variableValues, fragments, limits.maxTokens);
  } catch {
    return refused(refusal(`The entities this subscription selects make a query of more than ${limits.maxTokens} tokens once its fragments are written out: select less or repeat fewer fragments`, 'QUERY_TOO_COMPLEX'));
  }
  const roles = rolesOf(identity).join(',');
  return {
    kind: 'subscription',
    fieldName,
    rootKey: rootField.alias?.value ?? fieldName,
    field,
    args,
    document,
    operationName,
    variableValues,
    fetch,
    fetchKey: fetch ? `${roles}\n${fetch.query}\n${stableJson(fetch.variables)}` : '',
    resultKey: `${roles}\n${request.query}\n${operationName ?? ''}\n${stableJson(variableValues)}`,
  };
}

// The supergraph's rules for each subscription field; also checks that the gateway knows the
// events of every subscription field the supergraph declares.
export function subscriptionAccess(supergraphSdl: string): Map<string, FieldAccess> {
  const access = new Map<string, FieldAccess>();
  const definitions = parse(supergraphSdl).definitions;
  const payloadTypes = new Set<string>();
  for (const definition of definitions) {
    if ((definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) || definition.name.value !== 'Subscription') continue;
    const typeAuthenticated = !!definition.directives?.some((directive) => directive.name.value === 'authenticated');
    for (const field of definition.fields ?? []) {
      if (!SUBSCRIPTION_FIELDS[field.name.value]) throw new Error(`The supergraph has Subscription.${field.name.value}, which the gateway has no events for (gateway/src/subscriptions/fields.ts)`);
      const requires = field.directives?.find((directive) => directive.name.value === 'requiresScopes');
      const scopesValue = requires?.arguments?.find((argument) => argument.name.value === 'scopes')?.value;
      const scopes =
        scopesValue?.kind === Kind.LIST
          ? scopesValue.values.map((inner) => (inner.kind === Kind.LIST ? inner.values.map((role) => (role.kind === Kind.STRING ? role.value : '')) : []))
          : null;
      const authenticated = typeAuthenticated || !!field.directives?.some((directive) => directive.name.value === 'authenticated') || !!scopes;
      access.set(field.name.value, { authenticated, scopes });
      let type = field.type;
      while (type.kind !== Kind.NAMED_TYPE) type = type.type;
      payloadTypes.add(type.name.value);
    }
  }
  // A payload's own fields are filled in from the event by the gateway, which would not apply
  // a rule on one; only its entity fields are read through the subgraphs that enforce theirs.
  for (const definition of definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION || !payloadTypes.has(definition.name.value)) continue;
    const guarded = definition.fields?.find((field) => field.directives?.some((directive) => ['requiresScopes', 'authenticated', 'policy'].includes(directive.name.value)));
    if (guarded && !SUBSCRIPTION_FIELDS_ENTITIES.has(guarded.name.value)) {
      throw new Error(`${definition.name.value}.${guarded.name.value} has an access rule, which the gateway cannot apply to a field it fills in from an event: guard the subscription field instead`);
    }
  }
  return access;
}

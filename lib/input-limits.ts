import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, type DocumentNode, type SelectionSetNode } from 'graphql';
import { z } from 'zod';
import { MAX_PAGE_SIZE } from './pagination';

// Filters over an enum or over tags: an enum has a handful of values, so more than this is a
// mistake or an attack (12,000 × ACTIVE kept a subgraph busy past the gateway's time limit,
// and past 32,767 entries PostgreSQL refuses the statement).
const FILTER_VALUES = 100;
// What one customer can carry, so a list of tags to store stays as it always was.
const STORED_TAGS = 50;

// The largest list each argument or input field of the three subgraphs accepts, by schema
// coordinate (Type.field for input fields, Type.field(argument:) for arguments).
export const INPUT_LIMITS = {
  'CustomerFilter.status': FILTER_VALUES,
  'CustomerFilter.tags': FILTER_VALUES,
  'CreateCustomerInput.tags': STORED_TAGS,
  'UpdateCustomerInput.tags': STORED_TAGS,
  'Customer.orders(status:)': FILTER_VALUES,
  'Customer.opportunities(stage:)': FILTER_VALUES,
  'OrderFilter.status': FILTER_VALUES,
  'OpportunityFilter.stage': FILTER_VALUES,
  'CreateOrderInput.items': 200,
  'CampaignFilter.status': FILTER_VALUES,
  'CampaignFilter.channel': FILTER_VALUES,
  'SegmentRulesInput.kinds': FILTER_VALUES,
  'SegmentRulesInput.statuses': FILTER_VALUES,
  'SegmentRulesInput.tagsAny': STORED_TAGS,
  'SegmentRulesInput.tagsAll': STORED_TAGS,
  'SegmentRulesInput.companies': 100,
  // Every score there is: three digits of 1 to 5.
  'SegmentRulesInput.rfmScores': 125,
  'Mutation.addCampaignMembers(customerIds:)': 1_000,
  // A screen watching the customers it lists: a page of them at most.
  'Subscription.customerChanged(ids:)': MAX_PAGE_SIZE,
  'Subscription.customerChanged(kinds:)': FILTER_VALUES,
  // The gateway sends one _entities call per entity fetch of a query plan: a page of up to
  // MAX_PAGE_SIZE parents, or the children of such a page (a page of customers with their
  // first orders' customers), so ten per parent is allowed. The subgraphs' 1 MB body limit
  // holds about 16,000 representations of a key.
  'Query._entities(representations:)': 10 * MAX_PAGE_SIZE,
} as const;

export type ListInput = keyof typeof INPUT_LIMITS;

// A list argument or input field, refused past its maximum (BAD_USER_INPUT naming the field,
// through parseInput) before anything reaches the database.
export function boundedList<T extends z.ZodType>(coordinate: ListInput, item: T, entries = 'entries') {
  const max = INPUT_LIMITS[coordinate];
  return z.array(item).max(max, { message: `must hold at most ${max} ${entries}` });
}

// A list of enum values filters by each value once, so repeats never reach the SQL.
export function enumList<T extends z.ZodType<string>>(coordinate: ListInput, values: T) {
  return boundedList(coordinate, values, 'values').transform((list) => [...new Set(list)]);
}

const MAX_REPRESENTATIONS = INPUT_LIMITS['Query._entities(representations:)'];

// How many representations each _entities field of the operation is given, literally or
// through a variable, wherever it sits among the root fields and fragments.
function representationCounts(selectionSet: SelectionSetNode, document: DocumentNode, variables: Record<string, unknown>): number[] {
  return selectionSet.selections.flatMap((selection) => {
    if (selection.kind === Kind.INLINE_FRAGMENT) return representationCounts(selection.selectionSet, document, variables);
    if (selection.kind === Kind.FRAGMENT_SPREAD) {
      const fragment = document.definitions.find((definition) => definition.kind === Kind.FRAGMENT_DEFINITION && definition.name.value === selection.name.value);
      return fragment?.kind === Kind.FRAGMENT_DEFINITION ? representationCounts(fragment.selectionSet, document, variables) : [];
    }
    if (selection.name.value !== '_entities') return [];
    const value = selection.arguments?.find((argument) => argument.name.value === 'representations')?.value;
    const list = value?.kind === Kind.VARIABLE ? variables[value.name.value] : value?.kind === Kind.LIST ? value.values : undefined;
    return Array.isArray(list) ? [list.length] : [];
  });
}

// Refuses an _entities call with more representations than any query plan of the gateway
// sends, before a single one is resolved. 400, so the gateway hands the error on as the
// subgraph's refusal rather than counting it as the subgraph failing.
export function representationLimit(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request }) {
          if (!operation) return;
          const counts = representationCounts(operation.selectionSet, document, request.variables ?? {});
          if (counts.some((count) => count > MAX_REPRESENTATIONS)) {
            throw new GraphQLError(`representations: must hold at most ${MAX_REPRESENTATIONS} entities; ask for smaller pages`, {
              extensions: { code: 'BAD_USER_INPUT', field: 'representations', http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}

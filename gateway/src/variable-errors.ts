import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, visit, type DocumentNode, type ValueNode } from 'graphql';

// graphql-js refuses a variable of the wrong shape before any subgraph sees it, naming the
// place only in its message: `Variable "$in" got invalid value null at "in.items[0].quantity";
// …`. Every other input error carries its place as `extensions.field` (lib/errors.ts), from the
// argument down (`input.items.0.quantity`), so forms can put the message under the right input;
// these get it too, in that form: the variable's place in the operation (`createOrder(input:
// $in)` → `input`) replaces its name, when it is used in one place.
const VARIABLE_ERROR = /^Variable "\$([_A-Za-z]\w*)" (got invalid value|of required type|of non-null type)/;
const PLACE = / at "([_A-Za-z]\w*(?:\.[_A-Za-z]\w*|\[\d+\])*)"; /g;

export function fieldOfVariableError(message: string): string | undefined {
  const variable = VARIABLE_ERROR.exec(message);
  if (!variable) return undefined;
  const [, name] = variable;
  // The value is printed before the place and may itself hold ` at "…"; `: the last place
  // that starts with the variable's name is graphql-js's own.
  const places = [...message.matchAll(PLACE)].map((match) => match[1]).filter((place) => place === name || place.startsWith(`${name}.`) || place.startsWith(`${name}[`));
  const place = places.at(-1) ?? name;
  return place.replace(/\[(\d+)\]/g, '.$1');
}

// Where each variable is used as an argument's value or inside one: `createOrder(input: { items:
// $items })` puts `items` at `input.items`. A variable used in two places has no one place.
export function variablePlaces(document: DocumentNode, operationName?: string | null): Map<string, string | null> {
  const places = new Map<string, string | null>();
  const visitValue = (value: ValueNode, place: string) => {
    if (value.kind === Kind.VARIABLE) places.set(value.name.value, places.has(value.name.value) ? null : place);
    else if (value.kind === Kind.OBJECT) for (const field of value.fields) visitValue(field.value, `${place}.${field.name.value}`);
    else if (value.kind === Kind.LIST) value.values.forEach((item, index) => visitValue(item, `${place}.${index}`));
  };
  // The operation run and the fragments it may spread; another operation of the document may
  // use the same variable name elsewhere.
  const run = document.definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION || (definition.kind === Kind.OPERATION_DEFINITION && (!operationName || definition.name?.value === operationName)));
  visit({ ...document, definitions: run }, {
    // A directive's argument (@skip(if: $x)) is no input field.
    Directive: () => false,
    Argument(argument) {
      visitValue(argument.value, argument.name.value);
      return false;
    },
  });
  return places;
}

export function variableErrorFields(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, document, request }) {
          const result = response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult;
          if (!result.errors) return;
          let places: Map<string, string | null> | undefined;
          result.errors = result.errors.map((error) => {
            if (error.extensions?.code !== 'BAD_USER_INPUT' || error.extensions.field) return error;
            const field = fieldOfVariableError(error.message);
            if (!field) return error;
            const [variable, ...inside] = field.split('.');
            places ??= document ? variablePlaces(document, request.operationName) : new Map();
            const place = places.get(variable);
            return { ...error, extensions: { ...error.extensions, field: place ? [place, ...inside].join('.') : field } };
          });
        },
      };
    },
  };
}

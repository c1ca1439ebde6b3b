import type { ApolloServerPlugin } from '@apollo/server';

// graphql-js refuses a variable of the wrong shape before any subgraph sees it, naming the
// place only in its message: `Variable "$input" got invalid value null at
// "input.items[0].quantity"; …`. Every other input error carries that place as
// `extensions.field` (lib/errors.ts), so forms can put the message under the right input;
// these get it too, in the same dotted form (`input.items.0.quantity`), and the variable's own
// name when the message names no place inside it.
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

export function variableErrorFields(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          const result = response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult;
          if (!result.errors) return;
          result.errors = result.errors.map((error) => {
            if (error.extensions?.code !== 'BAD_USER_INPUT' || error.extensions.field) return error;
            const field = fieldOfVariableError(error.message);
            return field ? { ...error, extensions: { ...error.extensions, field } } : error;
          });
        },
      };
    },
  };
}

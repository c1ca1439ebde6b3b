import { defaultFieldResolver, type GraphQLSchema } from 'graphql';
import { mutationNotRun } from './errors';

// The first root mutation field of each request that failed, by the request's context.
const failedMutationField = new WeakMap<object, string>();

// Makes a subgraph stop running root mutation fields after the first one that fails, as the
// gateway does between subgraphs (gateway/src/serial-mutations.ts): a client that sent
// `a: createX b: createY` and sees `a` fail knows `b` wrote nothing.
export function stopMutationsAfterFailure(schema: GraphQLSchema): void {
  const mutation = schema.getMutationType();
  if (!mutation) return;
  for (const field of Object.values(mutation.getFields())) {
    const resolve = field.resolve ?? defaultFieldResolver;
    field.resolve = async (source, args, context: object, info) => {
      const failed = failedMutationField.get(context);
      if (failed) throw mutationNotRun(info.path.key as string, failed);
      try {
        return await resolve(source, args, context, info);
      } catch (error) {
        failedMutationField.set(context, info.path.key as string);
        throw error;
      }
    };
  }
}

import '@apollo/client';

// The console asks for partial results everywhere (apollo/client.ts); declaring it here types
// every hook's `data` as possibly partial alongside `error`.
declare module '@apollo/client' {
  export namespace ApolloClient {
    export namespace DeclareDefaultOptions {
      interface WatchQuery {
        errorPolicy: 'all';
      }
      interface Query {
        errorPolicy: 'all';
      }
      interface Mutate {
        errorPolicy: 'all';
      }
    }
  }
}

// graphql-ws publishes its ws server only through package exports, which this project's node10
// module resolution does not read; Node itself resolves 'graphql-ws/use/ws' at run time.
declare module 'graphql-ws/use/ws' {
  export * from 'graphql-ws/dist/use/ws';
}

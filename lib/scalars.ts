import { DateTimeResolver } from 'graphql-scalars';

// Scalars every subgraph declares, resolved the same way everywhere.
export const scalarResolvers = { DateTime: DateTimeResolver };

import { Client } from 'pg';
import type { SubgraphName } from '../lib/config';
import { startPlatform, type Platform } from '../lib/platform';
import { provisionDatabases } from './databases';

export type GraphQLResponse<T = Record<string, any>> = {
  status: number;
  body: { data?: T | null; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[] };
};

export type TestPlatform = Platform & {
  databaseMode: 'postgres' | 'embedded';
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, url?: string): Promise<GraphQLResponse<T>>;
  sql<T = Record<string, unknown>>(name: SubgraphName, query: string, values?: unknown[]): Promise<T[]>;
};

// Starts the whole platform in this process on free ports.
export async function startTestPlatform(): Promise<TestPlatform> {
  const databases = await provisionDatabases();
  const platform = await startPlatform({ databaseUrls: databases.urls, dataDir: null, ports: { gateway: 0, customer: 0, sales: 0, marketing: 0 } });
  const clients = new Map<SubgraphName, Client>();
  return {
    ...platform,
    databaseMode: databases.mode,
    gql: (query, variables, url = platform.gatewayUrl) => postGraphQL(url, query, variables),
    async sql(name, query, values) {
      let client = clients.get(name);
      if (!client) {
        client = new Client({ connectionString: platform.databaseUrls[name] });
        await client.connect();
        clients.set(name, client);
      }
      return (await client.query(query, values)).rows;
    },
    async stop() {
      for (const client of clients.values()) await client.end();
      await platform.stop();
      await databases.drop();
    },
  };
}

export async function postGraphQL<T = Record<string, any>>(url: string, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return { status: response.status, body: (await response.json()) as GraphQLResponse<T>['body'] };
}

export function expectNoErrors(response: GraphQLResponse): void {
  if (response.body.errors?.length) throw new Error(`Unexpected GraphQL errors: ${JSON.stringify(response.body.errors, null, 2)}`);
}

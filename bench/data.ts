import type { SingleBar } from 'cli-progress';
import pg from 'pg';
import type { SubgraphName } from '../lib/config';
import { COMPANIES, FIRST_NAMES, LAST_NAMES, TAGS as DEMO_TAGS } from '../subgraphs/customer/src/seed';
import { CustomerKind, InteractionType, LifecycleStatus } from '../subgraphs/customer/src/generated/prisma/enums';
import { CAMPAIGN_STATUSES, DEMO_SEGMENTS, MEMBER_PROGRESS, RESPONSE_OF_STATUS } from '../subgraphs/marketing/src/seed';
import { CampaignChannel } from '../subgraphs/marketing/src/generated/prisma/enums';
import { OpportunityStage, OrderStatus } from '../subgraphs/sales/src/generated/prisma/enums';

// Bump when the generated data changes shape, so that databases loaded by an older benchmark
// are loaded again instead of reused.
const DATA_VERSION = 1;

// Customers per INSERT: big enough for bulk speed, small enough for a progress bar that moves.
const CHUNK = 10_000;
const PRODUCTS = 200;
const CAMPAIGNS = 12;

// Every row derives from its customer's number i. Ids are UUIDs made of a table number and a
// row number, so that each database computes the ids the other databases refer to without
// reading them, and rows arrive in key order (random UUIDs made the primary-key indexes the
// slowest part of the load).
const TABLE = { customer: 1, contact: 2, interaction: 3, product: 4, order: 5, orderItem: 6, opportunity: 7, segment: 8, campaign: 9, member: 10, response: 11, attribution: 12 };
const uid = (table: keyof typeof TABLE, row: string) => `('${TABLE[table].toString(16).padStart(8, '0')}-0000-4000-8000-' || lpad(to_hex(${row}), 12, '0'))::uuid`;
const text = (values: string[]) => `ARRAY[${values.map((value) => `'${value}'`).join(', ')}]`;
// A fixed "now", so that repeated loads produce identical data.
const BASE = `timestamp '2026-11-01 12:00:00'`;

const FIRST = text(FIRST_NAMES);
const LAST = text(LAST_NAMES);
const COMPANY = `(${text(COMPANIES)})[i % ${COMPANIES.length} + 1]`;
const TAGS = text(DEMO_TAGS);
const CUSTOMER_ID = uid('customer', 'i');
const OWNER = `'user-' || (1 + i % 5)`;

// Customer i has i % 9 orders (k) of 1 to 5 lines (l): 12 lines per customer on average.
const ORDERS = `generate_series(0, i % 9 - 1) AS k`;
const LINES = `generate_series(1, 1 + (i + k) % 5) AS l`;
const ORDER_ID = uid('order', 'i * 9 + k');
const ORDER_CREATED = `${BASE} - ((i * 7 + k * 13) % 540) * interval '1 day' - k * interval '1 millisecond'`;
const PRODUCT = `((i * 31 + k * 17 + l * 7) % ${PRODUCTS})`;
const price = (product: string) => `(500 + (${product} * 7919) % 200000)`;
const QUANTITY = `(1 + (i + k + l) % 5)`;

// Customer i is a member of campaign c when (i + c) % 5 = 0, about 2.4 campaigns each.
const MEMBERSHIPS = `generate_series(0, ${CAMPAIGNS - 1}) AS c`;
const IS_MEMBER = `(i + c) % 5 = 0`;
const MEMBER_STAGE = `((i / 5 + c) % ${MEMBER_PROGRESS.length})`;
const MEMBER = `i * ${CAMPAIGNS} + c`;

const SEGMENTS = DEMO_SEGMENTS;

type Step = { label: string; sql: string; values: unknown[] };

// Statements over customers [$1, $2), one per chunk.
function perChunk(customers: number, label: string, sql: string): Step[] {
  const steps: Step[] = [];
  for (let from = 0; from < customers; from += CHUNK) steps.push({ label, sql, values: [from, Math.min(from + CHUNK, customers)] });
  return steps;
}

const CUSTOMERS = `generate_series($1::int, $2::int - 1) AS i`;

function customerSteps(customers: number): Step[] {
  return [
    // Customer i is created i * 37 % 719 days before BASE. 719 is prime, so the customers of one
    // day, neighbours in the default sort order, take every value of i % 9, i % 5 and so on, and
    // each page mixes customers with and without orders, campaigns, contacts.
    ...perChunk(
      customers,
      'Customer',
      `INSERT INTO "Customer" ("id", "kind", "name", "email", "phone", "company", "status", "ownerId", "tags", "createdAt", "updatedAt")
       SELECT ${CUSTOMER_ID},
              (CASE WHEN i % 3 = 0 THEN '${CustomerKind.ORGANIZATION}' ELSE '${CustomerKind.PERSON}' END)::"CustomerKind",
              CASE WHEN i % 3 = 0 THEN ${COMPANY} || ' ' || (${text(['Ltd', 'Inc', 'GmbH', 'Labs'])})[i % 4 + 1] || ' ' || i
                   ELSE (${FIRST})[i % 12 + 1] || ' ' || (${LAST})[i / 12 % 12 + 1] END,
              'customer' || i || '@' || lower(${COMPANY}) || '.example',
              '+1 555 ' || lpad((1000 + i % 9000)::text, 4, '0'),
              ${COMPANY},
              ((${text(Object.values(LifecycleStatus))})[i / 3 % ${Object.values(LifecycleStatus).length} + 1])::"LifecycleStatus",
              ${OWNER},
              ARRAY(SELECT tag FROM unnest(${TAGS}) WITH ORDINALITY AS t(tag, n) WHERE (i / 7 + n * 3) % 4 = 0),
              created, created
       FROM ${CUSTOMERS}, LATERAL (SELECT ${BASE} - (i * 37 % 719) * interval '1 day' - i * interval '1 millisecond' AS created) AS x`,
    ),
    ...perChunk(
      customers,
      'Contact',
      `INSERT INTO "Contact" ("id", "customerId", "name", "email", "title", "createdAt", "updatedAt")
       SELECT ${uid('contact', 'i * 2 + n')}, ${CUSTOMER_ID}, (${FIRST})[(i + n) % 12 + 1] || ' ' || (${LAST})[(i + 5 * n) % 12 + 1],
              'contact' || n || '.customer' || i || '@' || lower(${COMPANY}) || '.example',
              (${text(['CTO', 'Buyer'])})[n + 1], created, created
       FROM ${CUSTOMERS}, generate_series(0, 1) AS n, LATERAL (SELECT ${BASE} - (i % 700) * interval '1 day' + n * interval '1 second' AS created) AS x
       WHERE i % 3 = 0`,
    ),
    ...perChunk(
      customers,
      'Interaction',
      `INSERT INTO "Interaction" ("id", "customerId", "type", "subject", "occurredAt", "createdAt")
       SELECT ${uid('interaction', 'i * 4 + n')}, ${CUSTOMER_ID}, ((${text(Object.values(InteractionType))})[(i + n) % ${Object.values(InteractionType).length} + 1])::"InteractionType",
              'Touchpoint ' || (n + 1) || ' with customer ' || i, occurred, occurred
       FROM ${CUSTOMERS}, generate_series(0, i % 4) AS n, LATERAL (SELECT ${BASE} - ((i * 7 + n * 31) % 365) * interval '1 day' AS occurred) AS x`,
    ),
  ];
}

function salesSteps(customers: number): Step[] {
  return [
    {
      label: 'Product',
      sql: `INSERT INTO "Product" ("id", "sku", "name", "priceMinor", "currency", "createdAt", "updatedAt")
            SELECT ${uid('product', 'p')}, 'SKU-' || lpad((p + 1)::text, 4, '0'),
                   (${text(['Starter', 'Team', 'Business', 'Enterprise'])})[p % 4 + 1] || ' ' || (${text(['Licence', 'Support', 'Training', 'Add-on', 'Hardware'])})[p % 5 + 1] || ' ' || (p + 1),
                   ${price('p')}, 'USD', ${BASE}, ${BASE}
            FROM generate_series(0, ${PRODUCTS - 1}) AS p`,
      values: [],
    },
    ...perChunk(
      customers,
      'Order',
      `INSERT INTO "Order" ("id", "customerId", "status", "currency", "totalMinor", "placedAt", "createdAt", "updatedAt")
       SELECT ${ORDER_ID}, ${CUSTOMER_ID}, status::"OrderStatus", 'USD',
              (SELECT sum(${price(PRODUCT)} * ${QUANTITY}) FROM ${LINES}),
              CASE WHEN status = 'DRAFT' THEN NULL ELSE created END, created, created
       FROM ${CUSTOMERS}, ${ORDERS},
            LATERAL (SELECT (${text(Object.values(OrderStatus))})[(i + k) % ${Object.values(OrderStatus).length} + 1] AS status, ${ORDER_CREATED} AS created) AS x`,
    ),
    ...perChunk(
      customers,
      'OrderItem',
      `INSERT INTO "OrderItem" ("id", "orderId", "line", "productId", "quantity", "unitPriceMinor", "createdAt")
       SELECT ${uid('orderItem', '(i * 9 + k) * 5 + l - 1')}, ${ORDER_ID}, l, ${uid('product', PRODUCT)}, ${QUANTITY}, ${price(PRODUCT)}, ${ORDER_CREATED}
       FROM ${CUSTOMERS}, ${ORDERS}, ${LINES}`,
    ),
    ...perChunk(
      customers,
      'Opportunity',
      `INSERT INTO "Opportunity" ("id", "customerId", "name", "stage", "amountMinor", "currency", "probability", "expectedCloseDate", "ownerId", "createdAt", "updatedAt")
       SELECT ${uid('opportunity', 'i')}, ${CUSTOMER_ID}, ${COMPANY} || ' ' || (${text(['renewal', 'expansion', 'pilot', 'upgrade'])})[i % 4 + 1],
              ((${text(Object.values(OpportunityStage))})[i % ${Object.values(OpportunityStage).length} + 1])::"OpportunityStage",
              100000 + (i::bigint * 7919) % 5000000, 'USD', i * 37 % 101, (${BASE} + (i % 180 - 30) * interval '1 day')::date, ${OWNER},
              created, created
       FROM ${CUSTOMERS}, LATERAL (SELECT ${BASE} - (i % 365) * interval '1 day' AS created) AS x
       WHERE i % 5 < 3`,
    ),
  ];
}

function marketingSteps(customers: number): Step[] {
  return [
    {
      label: 'Segment',
      sql: `INSERT INTO "Segment" ("id", "name", "description", "rules", "createdAt", "updatedAt")
            SELECT ${uid('segment', 'n')}, s->>'name', 'Benchmark segment: ' || (s->>'name'), s->'rules', ${BASE}, ${BASE}
            FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(s, n)`,
      values: [JSON.stringify(SEGMENTS)],
    },
    {
      label: 'Campaign',
      sql: `INSERT INTO "Campaign" ("id", "name", "channel", "status", "budgetMinor", "currency", "startsAt", "endsAt", "segmentId", "createdAt", "updatedAt")
            SELECT ${uid('campaign', 'c')}, (${text(['Spring', 'Summer', 'Autumn', 'Winter'])})[c % 4 + 1] || ' ' || lower(channel) || ' push ' || (2026 + c / 4),
                   channel::"CampaignChannel", ((${text(CAMPAIGN_STATUSES)})[c % ${CAMPAIGN_STATUSES.length} + 1])::"CampaignStatus",
                   1000000 + c * 750000, 'USD', ${BASE} - (90 - c * 20) * interval '1 day', ${BASE} + (c * 15 + 10) * interval '1 day',
                   ${uid('segment', `c % ${SEGMENTS.length} + 1`)}, ${BASE} - c * interval '1 day', ${BASE} - c * interval '1 day'
            FROM ${MEMBERSHIPS}, LATERAL (SELECT (${text(Object.values(CampaignChannel))})[c % ${Object.values(CampaignChannel).length} + 1] AS channel) AS x`,
      values: [],
    },
    ...perChunk(
      customers,
      'CampaignMember',
      `INSERT INTO "CampaignMember" ("id", "campaignId", "customerId", "status", "createdAt", "updatedAt")
       SELECT ${uid('member', MEMBER)}, ${uid('campaign', 'c')}, ${CUSTOMER_ID},
              ((${text(MEMBER_PROGRESS)})[${MEMBER_STAGE} + 1])::"MemberStatus", created, created
       FROM ${CUSTOMERS}, ${MEMBERSHIPS}, LATERAL (SELECT ${BASE} - (i % 90 + c) * interval '1 day' AS created) AS x
       WHERE ${IS_MEMBER}`,
    ),
    // Members that opened, clicked or responded left a response of that kind.
    ...perChunk(
      customers,
      'CampaignResponse',
      `INSERT INTO "CampaignResponse" ("id", "campaignId", "customerId", "type", "occurredAt")
       SELECT ${uid('response', MEMBER)}, ${uid('campaign', 'c')}, ${CUSTOMER_ID},
              ((${text(Object.values(RESPONSE_OF_STATUS))})[${MEMBER_STAGE} - 1])::"ResponseType", ${BASE} - (i % 60) * interval '1 day'
       FROM ${CUSTOMERS}, ${MEMBERSHIPS}
       WHERE ${IS_MEMBER} AND ${MEMBER_STAGE} >= 2`,
    ),
    // A third of the members with orders have their first order attributed to the campaign.
    ...perChunk(
      customers,
      'OrderAttribution',
      `INSERT INTO "OrderAttribution" ("id", "campaignId", "orderId", "customerId", "createdAt")
       SELECT ${uid('attribution', MEMBER)}, ${uid('campaign', 'c')}, ${uid('order', 'i * 9')}, ${CUSTOMER_ID}, ${BASE} - (i % 60) * interval '1 day'
       FROM ${CUSTOMERS}, ${MEMBERSHIPS}
       WHERE ${IS_MEMBER} AND (i + c) % 3 = 0 AND i % 9 >= 1`,
    ),
  ];
}

// The subgraphs with a bulk loader; any other gets its tables from its migrations only.
const STEPS: Partial<Record<SubgraphName, (customers: number) => Step[]>> = { customer: customerSteps, sales: salesSteps, marketing: marketingSteps };

// Indexes that no constraint needs; the load drops them and builds them again afterwards.
const SECONDARY_INDEXES = `
  SELECT c.relname AS name, pg_get_indexdef(c.oid) AS definition
  FROM pg_index x
  JOIN pg_class c ON c.oid = x.indexrelid
  JOIN pg_class t ON t.oid = x.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
  WHERE n.nspname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)`;

// Loads one subgraph's database unless it already holds this data set; returns whether it loaded.
// Building indexes once after the inserts, and skipping foreign-key triggers on rows that are
// consistent by construction, makes the load several times faster. It runs in one transaction,
// so an interrupted load leaves the database as it was, indexes included. VACUUM afterwards
// spares the measurements an autovacuum of a million fresh rows; the marker comes last.
export async function loadDatabase(name: SubgraphName, url: string, customers: number, bar: SingleBar): Promise<boolean> {
  const marker = `crm-bench data v${DATA_VERSION}, ${customers} customers`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ marker: string | null; database: string }>(
      `SELECT shobj_description(oid, 'pg_database') AS marker, datname AS database FROM pg_database WHERE datname = current_database()`,
    );
    if (rows[0].marker === marker) {
      bar.update(bar.getTotal(), { step: 'reused' });
      return false;
    }
    await client.query('BEGIN');
    await client.query('SET LOCAL session_replication_role = replica');
    await client.query(`SET LOCAL maintenance_work_mem = '256MB'`);
    const tables = await client.query<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`);
    await client.query(`TRUNCATE ${tables.rows.map((table) => `"${table.name}"`).join(', ')}`);
    const indexes = await client.query<{ name: string; definition: string }>(SECONDARY_INDEXES);
    for (const index of indexes.rows) await client.query(`DROP INDEX "${index.name}"`);
    const steps = [...(STEPS[name]?.(customers) ?? []), ...indexes.rows.map((index) => ({ label: `index ${index.name}`, sql: index.definition, values: [] }))];
    bar.setTotal(steps.length + 1);
    for (const [done, step] of steps.entries()) {
      bar.update(done, { step: step.label });
      await client.query(step.sql, step.values);
    }
    await client.query('COMMIT');
    bar.update(steps.length, { step: 'VACUUM ANALYZE' });
    await client.query('VACUUM ANALYZE');
    await client.query(`COMMENT ON DATABASE "${rows[0].database}" IS '${marker}'`);
    bar.update(steps.length + 1, { step: 'loaded' });
    return true;
  } finally {
    await client.end();
  }
}

export async function countOrderLines(salesUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: salesUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ count: string }>('SELECT count(*) FROM "OrderItem"');
    return Number(rows[0].count);
  } finally {
    await client.end();
  }
}

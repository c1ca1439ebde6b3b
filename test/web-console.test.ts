import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import type { ResilienceOptions } from '../gateway/src/resilient-data-source';
import { expectNoErrors, postGraphQL, userHeaders, type Caller } from './harness';
import { startProcessPlatform, waitFor, type ProcessPlatform } from './process-platform';
import { CHROMIUM, UI_TIMEOUT_MS, ensureConsoleBuilt, launchChromium, onPage, partIn, screenshot, signIn, subscriptionSent, waitForText, watchProblems, type ProblemLog } from './web-console-browser';

// The web console (web/) as a person uses it, in headless Chromium against the gateway serving
// its build, with the three subgraphs as processes of their own (so one can be stopped) on
// PostgreSQL and NATS. Every step saves a screenshot under test/artifacts/web-console/.

// A subgraph that is down is answered quickly: one retry, and a breaker that lets a restarted
// subgraph back in soon.
const resilience: ResilienceOptions = { timeoutMs: 5_000, retries: 1, errorThresholdPercentage: 50, volumeThreshold: 50, resetTimeoutMs: 1_500 };

// Names unique to this run, so the list can be narrowed to the customers made here.
const RUN = `wc${Date.now().toString(36)}`;
const PAGED_CUSTOMERS = 55;
const PAGE_SIZE = 20;

const CUSTOMER_IDS = `query PagedIds($search: String!, $first: Int!) {
  customers(first: $first, filter: { search: $search }, orderBy: { field: CREATED_AT, direction: DESC }) { totalCount nodes { id } }
}`;
const CUSTOMER_COUNT = 'query CustomerCount { customers(filter: { includeArchived: true }) { totalCount } }';
const CREATE_CUSTOMER = 'mutation TestCustomer($input: CreateCustomerInput!) { createCustomer(input: $input) { id nextStatuses } }';
const RENAME_CUSTOMER = 'mutation SecondClientRename($id: ID!, $name: String!) { updateCustomer(id: $id, input: { name: $name }) { id } }';
const CUSTOMER_STATE = 'query CustomerState($id: ID!) { customer(id: $id) { id status archived } }';
// The buttons of the customer page that change whether it exists or is listed.
const CUSTOMER_ACTIONS = ['archive-customer', 'restore-customer', 'delete-customer', 'confirm-delete-customer'];

// CI always has Chromium (.ci/run installs it); elsewhere this runs when it is installed.
(existsSync(CHROMIUM) || process.env.CI ? describe : describe.skip)('the web console in headless Chromium', () => {
  let platform: ProcessPlatform;
  let browser: Browser;
  type SignedIn = { context: BrowserContext; page: Page; problems: ProblemLog };
  let admin: SignedIn;
  let viewer: SignedIn | undefined;
  let marketing: SignedIn | undefined;
  let pagedIds: string[];
  // The customer with an order, an interaction and a segment, opened in the later steps.
  let featured: { id: string; name: string };
  const productName = `Seat ${RUN}`;
  let productId: string;

  const gql = async (query: string, variables?: Record<string, unknown>, as: Caller = 'admin') => {
    const response = await postGraphQL(platform.gatewayUrl, query, variables, await userHeaders(as));
    expectNoErrors(response);
    return response.body.data!;
  };
  const url = (route: string) => new URL(route, platform.gatewayUrl).toString();
  const placeOrder = (customerId: string) =>
    gql('mutation TestOrder($input: CreateOrderInput!) { createOrder(input: $input) { id } }', { input: { customerId, items: [{ productId, quantity: 2 }], status: 'PLACED' } });
  // How many of the run's customers a list searching for the run shows (their names hold RUN).
  const runCustomers = async () => (await gql(CUSTOMER_IDS, { search: RUN, first: 1 })).customers.totalCount as number;
  // The page a test is on, saved as <nn>-<step>-failed.png when the test fails.
  let shown: Page | undefined;
  const pageTest = (name: string, step: string, steps: () => Promise<void>) => it(name, () => onPage(() => shown, step, steps));

  const openContext = async (user: 'admin' | 'marketing' | 'viewer', options?: { screenshot: string }) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(UI_TIMEOUT_MS);
    const page = await context.newPage();
    const problems = watchProblems(page);
    await signIn(page, url('/'), user, options);
    return { context, page, problems };
  };

  beforeAll(async () => {
    ensureConsoleBuilt();
    platform = await startProcessPlatform({ gateway: { resilience: { customer: resilience, sales: resilience, marketing: resilience } } });
    browser = await launchChromium();

    // Created one after another, so CREATED_AT orders them without ties.
    const created: { id: string; name: string }[] = [];
    for (let index = 1; index <= PAGED_CUSTOMERS; index++) {
      const name = `${RUN} Customer ${String(index).padStart(2, '0')}`;
      const { createCustomer } = await gql('mutation PagedCustomer($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }', {
        input: { name, email: `${RUN}-${index}@example.com`, tags: [RUN] },
      });
      created.push({ id: createCustomer.id, name });
    }
    featured = created[PAGED_CUSTOMERS - 1];
    // One more the search leaves out, so the list's count tells the filtered list from the whole.
    await gql('mutation OtherCustomer { createCustomer(input: { name: "Someone Else" }) { id } }');
    const { createProduct } = await gql('mutation SeatProduct($input: CreateProductInput!) { createProduct(input: $input) { id } }', {
      input: { sku: `SEAT-${RUN}`, name: productName, price: { amount: '30', currency: 'USD' } },
    });
    productId = createProduct.id;
    await placeOrder(featured.id);
    await gql('mutation FeaturedCall($input: LogInteractionInput!) { logInteraction(input: $input) { id } }', {
      input: { customerId: featured.id, type: 'CALL', subject: `Kick-off call ${RUN}` },
    });
    await gql('mutation RunSegment($input: CreateSegmentInput!) { createSegment(input: $input) { id } }', { input: { name: `Segment ${RUN}`, rules: { tagsAny: [RUN] } } });
    pagedIds = (await gql(CUSTOMER_IDS, { search: RUN, first: 100 })).customers.nodes.map((node: { id: string }) => node.id);
    expect(pagedIds).toHaveLength(PAGED_CUSTOMERS);
  }, 240_000);

  afterAll(async () => {
    await viewer?.context.close();
    await marketing?.context.close();
    await admin?.context.close();
    await browser?.close();
    await platform?.stop();
  });

  afterEach(() => {
    // Whatever a step provoked on purpose it took already; the rest is a problem of the console.
    if (admin) expect(admin.problems.take()).toEqual([]);
  });

  pageTest('signs in as the admin through the sign-in page', 'sign-in', async () => {
    admin = await openContext('admin', { screenshot: 'sign-in-page' });
    shown = admin.page;
    await waitForText(admin.page.getByTestId('signed-in-user'), /Ada Admin/);
    await admin.page.getByTestId('customer-count').waitFor();
    await screenshot(admin.page, 'signed-in-admin');
    expect(await admin.page.getByTestId('signed-in-user').textContent()).toContain('ADMIN');
  });

  pageTest('pages through three pages of customers with no duplicates, in the order the API gives', 'paging', async () => {
    const { page } = admin;
    const rows = page.getByTestId('customer-row');
    const idsInList = async () => rows.evaluateAll((elements) => elements.map((element) => element.getAttribute('data-customer-id')));
    await page.goto(url('/'));
    await page.getByTestId('sort-select').selectOption('CREATED_AT:DESC');
    await page.getByTestId('customer-search').fill(RUN);
    await waitForText(page.getByTestId('customer-count'), new RegExp(`\\b${PAGE_SIZE} of ${PAGED_CUSTOMERS}\\b`));
    expect(await rows.count()).toBe(PAGE_SIZE);
    await screenshot(page, 'list-page-1');

    // Page 2 by scrolling to the end of the list (the infinite scroll's sentinel).
    await page.getByTestId('list-end').scrollIntoViewIfNeeded();
    await rows.nth(2 * PAGE_SIZE - 1).waitFor();
    expect(await rows.count()).toBe(2 * PAGE_SIZE);
    await screenshot(page, 'list-page-2');

    // Page 3, the last one, by the button.
    await page.getByTestId('load-more').click();
    await rows.nth(PAGED_CUSTOMERS - 1).waitFor();
    await waitForText(page.getByTestId('customer-count'), new RegExp(`\\b${PAGED_CUSTOMERS} of ${PAGED_CUSTOMERS}\\b`));
    await page.getByTestId('load-more').waitFor({ state: 'hidden' });
    await screenshot(page, 'list-page-3');

    const ids = await idsInList();
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(pagedIds);
  });

  pageTest('opens a customer: one page with parts from the three subgraphs', 'customer-page', async () => {
    const { page } = admin;
    await page.goto(url('/'));
    await page.getByTestId('customer-search').fill(featured.name);
    await page.getByTestId('customer-link').filter({ hasText: featured.name }).click();
    await page.waitForURL(url(`/customers/${featured.id}`));
    await waitForText(page.getByTestId('customer-name'), featured.name);
    await waitForText(page.getByTestId('customer-email'), `${RUN}-${PAGED_CUSTOMERS}@example.com`);
    // Customer subgraph: the interactions timeline; sales: the order and its items; marketing: segments.
    await waitForText(page.getByTestId('section-interactions'), new RegExp(`Kick-off call ${RUN}`));
    await page.getByTestId('order-row').first().waitFor();
    expect(await page.getByTestId('order-row').count()).toBe(1);
    await waitForText(page.getByTestId('order-item'), new RegExp(productName));
    await waitForText(page.getByTestId('section-segments'), new RegExp(`Segment ${RUN}`));
    for (const section of ['section-contacts', 'section-deals', 'section-lifetime-value', 'section-campaigns', 'section-rfm']) {
      await page.getByTestId(section).waitFor();
    }
    expect(await page.locator('[data-part-state]').count()).toBe(0);
    await screenshot(page, 'customer-page');
  });

  pageTest('creates a customer through the form and then sees it in the list; an invalid email is refused at its field', 'form', async () => {
    const { page } = admin;
    const name = `${RUN} Grace Hopper`;
    await page.goto(url('/'));
    await page.getByTestId('new-customer').click();
    await page.waitForURL(url('/customers/new'));

    // What the server says about this email, and that it creates nothing.
    const refused = await postGraphQL(platform.gatewayUrl, 'mutation RefusedCustomer { createCustomer(input: { name: "Refused", email: "not-an-email" }) { id } }', undefined, await userHeaders());
    const refusal = refused.body.errors?.find((error) => String(error.extensions?.field).endsWith('email'));
    expect(refusal?.message).toMatch(/email/);
    // The form shows the message without the field's path ("input.email: "), under the email input.
    const shownMessage = refusal!.message.replace(/^(input\.)?email: /, '');
    const before = (await gql(CUSTOMER_COUNT)).customers.totalCount;
    await page.locator('[name="name"]').fill(name);
    await page.locator('[name="email"]').fill('not-an-email');
    await page.getByTestId('save-customer').click();
    await waitForText(page.locator('[data-field-error="email"]'), shownMessage);
    await screenshot(page, 'form-invalid-email');
    expect(page.url()).toBe(url('/customers/new'));
    expect((await gql(CUSTOMER_COUNT)).customers.totalCount).toBe(before);

    await page.locator('[name="email"]').fill('grace@example.com');
    await page.getByTestId('save-customer').click();
    await page.waitForURL(/\/customers\/(?!new)[^/]+$/);
    await waitForText(page.getByTestId('customer-name'), name);
    const id = new URL(page.url()).pathname.split('/').pop()!;
    expect((await gql('query Created($id: ID!) { customer(id: $id) { name email } }', { id })).customer).toEqual({ name, email: 'grace@example.com' });
    expect((await gql(CUSTOMER_COUNT)).customers.totalCount).toBe(before + 1);
    await screenshot(page, 'form-created');

    // Back to the list by its link in the header, as a person would.
    await page.getByRole('link', { name: 'Federated CRM' }).click();
    await page.waitForURL(url('/'));
    await waitForText(page.locator(`[data-testid="customer-row"][data-customer-id="${id}"] [data-testid="customer-link"]`), name);
    await screenshot(page, 'list-with-created');
  });

  pageTest('shows a change another client makes, on the customer page and in the list, without a reload', 'live', async () => {
    const { page } = admin;
    // A reload would show the change too; the page must change in place.
    let loads = 0;
    const countLoad = () => void (loads += 1);
    page.on('load', countLoad);

    const customerPageSubscribed = subscriptionSent(page, 'customerChanged');
    await page.goto(url(`/customers/${featured.id}`));
    await waitForText(page.getByTestId('customer-name'), featured.name);
    await customerPageSubscribed;
    const loadsBefore = loads;
    const renamed = `${featured.name} (renamed)`;
    await gql(RENAME_CUSTOMER, { id: featured.id, name: renamed }, 'sales');
    await waitForText(page.getByTestId('customer-name'), renamed);
    expect(loads).toBe(loadsBefore);
    await screenshot(page, 'live-customer-page');

    const listSubscribed = subscriptionSent(page, 'customerChanged');
    await page.goto(url('/'));
    const row = page.locator(`[data-testid="customer-row"][data-customer-id="${featured.id}"] [data-testid="customer-link"]`);
    await page.getByTestId('customer-search').fill(RUN);
    await waitForText(row, renamed);
    await listSubscribed;
    const listLoads = loads;
    const renamedAgain = `${featured.name} (renamed again)`;
    await gql(RENAME_CUSTOMER, { id: featured.id, name: renamedAgain }, 'sales');
    await waitForText(row, renamedAgain);
    expect(loads).toBe(listLoads);
    page.off('load', countLoad);
    await screenshot(page, 'live-list');
    featured.name = renamedAgain;
  });

  pageTest('adds a customer another client creates to the open list, and counts it', 'live-created', async () => {
    const { page } = admin;
    shown = page;
    const rows = page.getByTestId('customer-row');
    const count = page.getByTestId('customer-count');
    let loads = 0;
    const countLoad = () => void (loads += 1);
    page.on('load', countLoad);
    const matching = await runCustomers();
    const listSubscribed = subscriptionSent(page, 'CustomersPageChanges');
    await page.goto(url('/'));
    await page.getByTestId('customer-search').fill(RUN);
    await waitForText(count, `${PAGE_SIZE} of ${matching}`);
    await listSubscribed;
    const loadsBefore = loads;

    const name = `${RUN} Live Arrival`;
    const { createCustomer } = await gql(CREATE_CUSTOMER, { input: { name, tags: [RUN] } }, 'sales');
    // The list is read again on the CREATED event: the newest customer comes first.
    await waitForText(page.locator(`[data-testid="customer-row"][data-customer-id="${createCustomer.id}"] [data-testid="customer-link"]`), name);
    await waitForText(count, `${PAGE_SIZE} of ${matching + 1}`);
    expect(await rows.first().getAttribute('data-customer-id')).toBe(createCustomer.id);
    expect(loads).toBe(loadsBefore);
    page.off('load', countLoad);
    await screenshot(page, 'live-created-in-list');
  });

  pageTest('after its WebSocket drops, and after a visit to a customer, catches up and keeps the rows it showed', 'reconnect', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(UI_TIMEOUT_MS);
    // The page's WebSockets pass through the test, which can cut one.
    const sockets: { page: WebSocketRoute; server: WebSocketRoute }[] = [];
    await context.routeWebSocket(/\/graphql$/, (socket) => void sockets.push({ page: socket, server: socket.connectToServer() }));
    const page = await context.newPage();
    const problems = watchProblems(page);
    shown = page;
    try {
      await signIn(page, url('/'), 'admin');
      const rows = page.getByTestId('customer-row');
      const count = page.getByTestId('customer-count');
      const matching = await runCustomers();
      await page.getByTestId('customer-search').fill(RUN);
      await waitForText(count, `${PAGE_SIZE} of ${matching}`);
      await page.getByTestId('list-end').scrollIntoViewIfNeeded();
      await rows.nth(2 * PAGE_SIZE - 1).waitFor();
      await waitForText(page.getByTestId('live-status'), 'live');
      expect(sockets).toHaveLength(1);

      // Every list read from now on: none may shrink the list back to its first page.
      const reads: { first?: number; after?: string }[] = [];
      page.on('request', (request) => {
        const body = request.postDataJSON() as { operationName?: string; variables?: { first?: number; after?: string } } | null;
        if (body?.operationName === 'CustomersPage') reads.push(body.variables ?? {});
      });
      sockets[0].server.close();
      await sockets[0].page.close({ code: 4000, reason: 'the network went away' });
      const name = `${RUN} Created While Away`;
      const { createCustomer } = await gql(CREATE_CUSTOMER, { input: { name, tags: [RUN] } }, 'sales');

      await waitFor(async () => sockets.length === 2, 'the console to reconnect', UI_TIMEOUT_MS);
      await waitForText(page.getByTestId('live-status'), 'live');
      await waitForText(page.locator(`[data-testid="customer-row"][data-customer-id="${createCustomer.id}"] [data-testid="customer-link"]`), name);
      // Read again as many rows as were shown, the newest first: the reader keeps their place.
      await waitForText(count, `${2 * PAGE_SIZE} of ${matching + 1}`);
      expect(await rows.count()).toBe(2 * PAGE_SIZE);
      expect(await rows.first().getAttribute('data-customer-id')).toBe(createCustomer.id);
      expect(reads.length).toBeGreaterThan(0);
      for (const read of reads) expect(read.after !== undefined || (read.first ?? 0) >= 2 * PAGE_SIZE).toBe(true);
      await screenshot(page, 'reconnected');

      // A visit to a customer and back: the list shows its rows from the cache and reads them
      // again once, as many as it shows, since the events of the meantime reached no list.
      await page.getByTestId('customer-link').nth(5).click();
      await page.getByTestId('customer-name').waitFor();
      const away = `${RUN} Created During A Visit`;
      const { createCustomer: created } = await gql(CREATE_CUSTOMER, { input: { name: away, tags: [RUN] } }, 'sales');
      reads.length = 0;
      await page.goBack();
      await waitForText(page.locator(`[data-testid="customer-row"][data-customer-id="${created.id}"] [data-testid="customer-link"]`), away);
      await waitForText(count, `${2 * PAGE_SIZE} of ${matching + 2}`);
      expect(await rows.count()).toBe(2 * PAGE_SIZE);
      expect(reads).toEqual([expect.objectContaining({ first: 2 * PAGE_SIZE })]);
      await screenshot(page, 'back-from-a-customer');
      expect(problems.take()).toEqual([]);
    } catch (error) {
      // This context is closed before the failed test's screenshot would be taken.
      await screenshot(page, 'reconnect-failed');
      throw error;
    } finally {
      await context.close();
    }
  });

  pageTest('shows a VIEWER every email as hidden and no way to create a customer', 'viewer', async () => {
    viewer = await openContext('viewer');
    shown = viewer.page;
    const { page, problems } = viewer;
    await waitForText(page.getByTestId('signed-in-user'), /Vic Viewer/);
    const matching = (await gql(CUSTOMER_IDS, { search: RUN, first: 1 })).customers.totalCount;
    await page.getByTestId('customer-search').fill(RUN);
    await waitForText(page.getByTestId('customer-count'), new RegExp(`\\b${PAGE_SIZE} of ${matching}\\b`));
    const emails = page.getByTestId('customer-email');
    expect(await emails.count()).toBe(PAGE_SIZE);
    expect(await partIn(page, 'customer-email', 'hidden').count()).toBe(PAGE_SIZE);
    expect((await emails.allTextContents()).map((text) => text.trim())).toEqual(Array(PAGE_SIZE).fill('hidden'));
    expect(await page.getByTestId('new-customer').count()).toBe(0);
    await screenshot(page, 'viewer-list');

    await page.getByTestId('customer-link').first().click();
    await page.getByTestId('customer-name').waitFor();
    await partIn(page, 'customer-email', 'hidden').waitFor();
    expect((await page.getByTestId('customer-email').textContent())?.trim()).toBe('hidden');
    expect(await page.getByTestId('edit-customer').count()).toBe(0);
    await screenshot(page, 'viewer-customer-page');
    expect(problems.take()).toEqual([]);
  });

  pageTest("keeps a VIEWER's emails hidden on the list's second page and through another client's renames", 'viewer-live', async () => {
    viewer ??= await openContext('viewer');
    shown = viewer.page;
    const { page, problems } = viewer;
    const rows = page.getByTestId('customer-row');
    const everyEmailHidden = async (expectedRows: number) => {
      expect(await rows.count()).toBe(expectedRows);
      expect(await partIn(page, 'customer-email', 'hidden').count()).toBe(expectedRows);
      expect((await page.getByTestId('customer-email').allTextContents()).map((text) => text.trim())).toEqual(Array(expectedRows).fill('hidden'));
    };
    const matching = await runCustomers();
    const listSubscribed = subscriptionSent(page, 'CustomersPageChanges');
    await page.goto(url('/'));
    await page.getByTestId('customer-search').fill(RUN);
    await waitForText(page.getByTestId('customer-count'), `${PAGE_SIZE} of ${matching}`);
    await page.getByTestId('list-end').scrollIntoViewIfNeeded();
    await waitForText(page.getByTestId('customer-count'), `${2 * PAGE_SIZE} of ${matching}`);
    await everyEmailHidden(2 * PAGE_SIZE);
    await screenshot(page, 'viewer-list-page-2');
    await listSubscribed;

    // A customer of the second page, renamed by the admin: the row changes in place (an
    // UPDATED event reads nothing again) and its email stays hidden.
    const row = rows.nth(PAGE_SIZE + 4);
    const id = (await row.getAttribute('data-customer-id'))!;
    const name = (await row.getByTestId('customer-link').textContent())!.trim();
    const renamed = `${name} (renamed)`;
    await gql(RENAME_CUSTOMER, { id, name: renamed });
    await waitForText(row.getByTestId('customer-link'), renamed);
    expect(await row.getAttribute('data-customer-id')).toBe(id);
    expect(await partIn(row, 'customer-email', 'hidden').count()).toBe(1);
    await everyEmailHidden(2 * PAGE_SIZE);
    await screenshot(page, 'viewer-live-list');

    const pageSubscribed = subscriptionSent(page, 'CustomerPageChanged');
    await page.goto(url(`/customers/${id}`));
    await waitForText(page.getByTestId('customer-name'), renamed);
    await partIn(page, 'customer-email', 'hidden').waitFor();
    await pageSubscribed;
    const renamedAgain = `${name} (renamed again)`;
    await gql(RENAME_CUSTOMER, { id, name: renamedAgain });
    await waitForText(page.getByTestId('customer-name'), renamedAgain);
    expect(await partIn(page, 'customer-email', 'hidden').count()).toBe(1);
    expect((await page.getByTestId('customer-email').textContent())?.trim()).toBe('hidden');
    await screenshot(page, 'viewer-live-customer-page');
    expect(problems.take()).toEqual([]);
  });

  pageTest('shows MARKETING a customer page with the orders hidden and the marketing sections shown', 'marketing', async () => {
    marketing = await openContext('marketing');
    shown = marketing.page;
    const { page, problems } = marketing;
    await page.goto(url(`/customers/${featured.id}`));
    await waitForText(page.getByTestId('customer-name'), featured.name);
    await partIn(page, 'section-orders', 'hidden').waitFor();
    expect(await page.getByTestId('order-row').count()).toBe(0);
    await waitForText(page.getByTestId('section-segments'), new RegExp(`Segment ${RUN}`));
    expect(await page.getByTestId('place-order-form').count()).toBe(0);
    await screenshot(page, 'marketing-customer-page');
    expect(problems.take()).toEqual([]);
  });

  pageTest('marks every invalid field of a new customer after one submit, and creates nothing', 'form-fields', async () => {
    const { page } = admin;
    shown = page;
    // What the server lists for this input: each field with its message.
    const refused = await postGraphQL(platform.gatewayUrl, 'mutation RefusedFields { createCustomer(input: { name: "", email: "not-an-email", phone: "abc" }) { id } }', undefined, await userHeaders());
    const invalidFields = refused.body.errors?.[0]?.extensions?.invalidFields as { field: string; message: string }[];
    expect(invalidFields.map(({ field }) => field)).toEqual(['input.name', 'input.email', 'input.phone']);
    const before = (await gql(CUSTOMER_COUNT)).customers.totalCount;

    await page.goto(url('/customers/new'));
    await page.locator('[name="name"]').fill('');
    await page.locator('[name="email"]').fill('not-an-email');
    await page.locator('[name="phone"]').fill('abc');
    await page.getByTestId('save-customer').click();
    for (const { field, message } of invalidFields) await waitForText(page.locator(`[data-field-error="${field.replace(/^input\./, '')}"]`), message);
    expect(await page.locator('[data-field-error]').count()).toBe(3);
    expect(await page.getByTestId('form-error').count()).toBe(0);
    await screenshot(page, 'form-every-invalid-field');
    expect(page.url()).toBe(url('/customers/new'));
    expect((await gql(CUSTOMER_COUNT)).customers.totalCount).toBe(before);
  });

  pageTest('offers an ACTIVE customer only the statuses it may move to, and saves the move', 'edit-status', async () => {
    const { page } = admin;
    shown = page;
    const { createCustomer: customer } = await gql(CREATE_CUSTOMER, { input: { name: `${RUN} Active Account`, status: 'ACTIVE' } });
    expect(customer.nextStatuses).toEqual(['CHURNED']);
    await page.goto(url(`/customers/${customer.id}/edit`));
    const status = page.locator('select[name="status"]');
    await status.waitFor();
    expect(await status.locator('option').evaluateAll((options) => options.map((option) => (option as HTMLOptionElement).value))).toEqual(['ACTIVE', 'CHURNED']);
    expect(await status.inputValue()).toBe('ACTIVE');
    await screenshot(page, 'edit-status-choices');

    await status.selectOption('CHURNED');
    await page.getByTestId('save-customer').click();
    await page.waitForURL(url(`/customers/${customer.id}`));
    await waitForText(page.getByTestId('customer-status'), 'CHURNED');
    expect((await gql(CUSTOMER_STATE, { id: customer.id })).customer.status).toBe('CHURNED');
    await screenshot(page, 'edit-status-saved');
  });

  pageTest('archives, restores and deletes customers from their page, refuses to delete one with orders, and offers none of it to VIEWER or MARKETING', 'archive-delete', async () => {
    const { page } = admin;
    shown = page;
    // No tags: the run's segment would hold a tagged customer, which a deletion must keep.
    const create = async (name: string) => ({ id: (await gql(CREATE_CUSTOMER, { input: { name } })).createCustomer.id as string, name });
    const archivable = await create(`${RUN} Archivable`);
    const ordered = await create(`${RUN} With An Order`);
    await placeOrder(ordered.id);
    // Made last, so it is on the first page of the whole list, newest first.
    const deletable = await create(`${RUN} Deletable`);
    const search = page.getByTestId('customer-search');
    const count = page.getByTestId('customer-count');
    const rowOf = (id: string) => page.locator(`[data-testid="customer-row"][data-customer-id="${id}"]`);
    const archivedBadge = page.locator('.customer-title .badge.archived');
    const backToList = async () => {
      await page.getByRole('link', { name: '← Customers' }).click();
      await page.waitForURL(url('/'));
    };

    // Archived: marked on its page, and gone from the list, which hides archived customers.
    await page.goto(url('/'));
    await search.fill(archivable.name);
    await waitForText(count, '1 of 1');
    await rowOf(archivable.id).getByTestId('customer-link').click();
    await waitForText(page.getByTestId('customer-name'), archivable.name);
    expect(await archivedBadge.count()).toBe(0);
    await page.getByTestId('archive-customer').click();
    await waitForText(archivedBadge, 'archived');
    await page.getByTestId('restore-customer').waitFor();
    expect(await page.getByTestId('archive-customer').count()).toBe(0);
    expect((await gql(CUSTOMER_STATE, { id: archivable.id })).customer.archived).toBe(true);
    await screenshot(page, 'archived');
    await backToList();
    await search.fill(archivable.name);
    await waitForText(count, '0 of 0');
    expect(await rowOf(archivable.id).count()).toBe(0);
    await screenshot(page, 'archived-not-listed');

    // Restored: the badge goes and the list has it again.
    await page.goBack();
    await page.waitForURL(url(`/customers/${archivable.id}`));
    await page.getByTestId('restore-customer').click();
    await page.getByTestId('archive-customer').waitFor();
    await archivedBadge.waitFor({ state: 'detached' });
    expect((await gql(CUSTOMER_STATE, { id: archivable.id })).customer.archived).toBe(false);
    await screenshot(page, 'restored');
    await backToList();
    await search.fill(archivable.name);
    await waitForText(count, '1 of 1');
    await rowOf(archivable.id).waitFor();
    await screenshot(page, 'restored-listed');

    // A customer with an order is not deleted; the server's refusal is shown as it words it,
    // without the field path it starts with.
    await page.goto(url(`/customers/${ordered.id}`));
    await waitForText(page.getByTestId('customer-name'), ordered.name);
    await page.getByTestId('order-row').first().waitFor();
    await page.getByTestId('delete-customer').click();
    await page.getByTestId('confirm-delete-customer').click();
    await page.getByTestId('form-error').waitFor();
    const refusal = await postGraphQL(platform.gatewayUrl, 'mutation RefusedDelete($id: ID!) { deleteCustomer(id: $id) }', { id: ordered.id }, await userHeaders());
    expect(refusal.body.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'id' });
    await waitForText(page.getByTestId('form-error'), refusal.body.errors![0].message.replace(/^id: /, ''));
    expect(page.url()).toBe(url(`/customers/${ordered.id}`));
    expect((await gql(CUSTOMER_STATE, { id: ordered.id })).customer).toEqual({ id: ordered.id, status: 'LEAD', archived: false });
    await screenshot(page, 'delete-refused');

    // A customer without orders is deleted: back on the list, which no longer has it.
    await page.goto(url('/'));
    await rowOf(deletable.id).waitFor();
    await rowOf(deletable.id).getByTestId('customer-link').click();
    await waitForText(page.getByTestId('customer-name'), deletable.name);
    await page.getByTestId('delete-customer').click();
    await page.getByTestId('confirm-delete-customer').click();
    await page.waitForURL(url('/'));
    await count.waitFor();
    expect(await rowOf(deletable.id).count()).toBe(0);
    await search.fill(deletable.name);
    await waitForText(count, '0 of 0');
    expect((await gql(CUSTOMER_STATE, { id: deletable.id })).customer).toBeNull();
    await screenshot(page, 'deleted');

    // A VIEWER and MARKETING may change neither: no buttons, for an archived customer either.
    await gql('mutation ArchiveAgain($id: ID!) { archiveCustomer(id: $id) { id } }', { id: archivable.id });
    viewer ??= await openContext('viewer');
    marketing ??= await openContext('marketing');
    for (const [role, signedIn] of [['viewer', viewer], ['marketing', marketing]] as const) {
      shown = signedIn.page;
      for (const customer of [ordered, archivable]) {
        await signedIn.page.goto(url(`/customers/${customer.id}`));
        await waitForText(signedIn.page.getByTestId('customer-name'), customer.name);
        for (const action of CUSTOMER_ACTIONS) expect(await signedIn.page.getByTestId(action).count()).toBe(0);
      }
      await waitForText(signedIn.page.locator('.customer-title .badge.archived'), 'archived');
      await screenshot(signedIn.page, `${role}-no-actions`);
      expect(signedIn.problems.take()).toEqual([]);
    }
  });

  pageTest('shows the orders as unavailable and the rest of the customer page while the sales subgraph is stopped', 'sales-stopped', async () => {
    const { page } = admin;
    shown = page;
    await platform.kill('sales');
    try {
      await page.goto(url(`/customers/${featured.id}`));
      // The sales service's sections say so; the customer, contacts, timeline and marketing's sections render.
      await partIn(page, 'section-orders', 'unavailable').waitFor();
      for (const section of ['section-deals', 'section-lifetime-value']) expect(await partIn(page, section, 'unavailable').count()).toBe(1);
      await waitForText(page.getByTestId('customer-name'), featured.name);
      await waitForText(page.getByTestId('section-interactions'), new RegExp(`Kick-off call ${RUN}`));
      await waitForText(page.getByTestId('section-segments'), new RegExp(`Segment ${RUN}`));
      for (const section of ['section-contacts', 'section-interactions', 'section-segments', 'section-campaigns', 'section-rfm']) {
        expect(await page.getByTestId(section).locator('[data-part-state]').count()).toBe(0);
      }
      expect(await page.getByTestId('order-row').count()).toBe(0);
      await screenshot(page, 'sales-stopped');
    } finally {
      await platform.start('sales');
    }
    // Once sales answers again, a reload shows the orders.
    await waitFor(async () => !(await postGraphQL(platform.gatewayUrl, 'query SalesBack($id: ID!) { customer(id: $id) { orders { totalCount } } }', { id: featured.id }, await userHeaders())).body.errors, 'the sales subgraph to answer through the gateway', UI_TIMEOUT_MS);
    await page.reload();
    await page.getByTestId('order-row').first().waitFor();
    await screenshot(page, 'sales-back');
  });
});

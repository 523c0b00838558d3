// The dashboard's walk in a real browser, as a person would do it:
// dashboard_browser_test.go starts a server and runs this script
// (node walk.mjs) with
//
//   HS_BASE       the dashboard's URL (the API is at HS_BASE + "v1")
//   HS_KEY        an API key of the server
//   HS_RECEIVER   a loopback receiver: /ok answers 200, /fail 500
//   HS_CHROMIUM   the Chromium to drive (Debian's /usr/bin/chromium)
//   HS_SHOTS      where to write the screenshots
//   HS_PERF_TOTAL when set, the events stored beforehand: the events view's
//                 first page must render within a second
//
// It prints one line a step and the facts the Go test checks after it
// (RESULT name=value); any failed expectation exits non-zero.
import {chromium} from 'playwright-core';
import {mkdirSync} from 'node:fs';
import {join} from 'node:path';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const base = env('HS_BASE');
const key = env('HS_KEY');
const receiver = env('HS_RECEIVER');
const shots = env('HS_SHOTS');
mkdirSync(shots, {recursive: true});

const step = (s) => console.log(`step: ${s}`);
const result = (name, value) => console.log(`RESULT ${name}=${value}`);
function expect(cond, message) {
  if (!cond) throw new Error(`expectation failed: ${message}`);
}

// No sandbox (CI runs as root); nothing of Chromium's own traffic (the
// machine has no network beyond loopback).
const browser = await chromium.launch({executablePath: env('HS_CHROMIUM'), headless: true, args: [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync']});
const context = await browser.newContext({viewport: {width: 1280, height: 900}, locale: 'en-GB', timezoneId: 'Europe/Paris'});
context.setDefaultTimeout(15000);
const page = await context.newPage();
const problems = [];
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('dialog', (d) => { problems.push(`a dialog opened: ${d.message()}`); d.dismiss(); });
page.on('console', (m) => {
  // The dashboard's expected failures (404s of endpoints not served yet,
  // 4xx of refused input) are answers it shows; anything else is logged.
  // A WebSocket refused with 404 is the live tail's not-served state.
  if (m.type() === 'error' && !/status of 4\d\d|Unexpected response code: 404/.test(m.text())) problems.push(`console: ${m.text()}`);
});

async function shot(name, p = page) {
  await p.evaluate(() => document.getElementById('toasts').replaceChildren()); // not in the pictures
  await p.screenshot({path: join(shots, `${name}.png`), fullPage: true});
}

async function go(route) {
  await page.goto(`${base}#${route}`);
  await page.waitForLoadState('domcontentloaded');
}

// ingest posts a webhook to a source as its sender would.
async function ingest(url, body, headers = {}) {
  const res = await fetch(url, {method: 'POST', body, headers: {'Content-Type': 'application/json', ...headers}});
  expect(res.status === 200, `ingest answered ${res.status}`);
  return (await res.json()).event_id;
}

// until polls cond every 100 ms, for at most 15 s.
async function until(cond, what) {
  for (let i = 0; i < 150; i++) {
    if (await cond()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting until ${what}`);
}

async function api(method, path, body) {
  const res = await fetch(`${base}v1${path}`, {method, headers: {'X-API-Key': key, 'Content-Type': 'application/json'}, body: body && JSON.stringify(body)});
  return {status: res.status, body: await res.json().catch(() => null)};
}

try {
  step('sign in: a wrong key is refused beside the field, the right one opens the dashboard');
  await page.goto(base);
  await page.getByLabel('API key').fill('hs_live_' + '0'.repeat(64));
  await page.getByRole('button', {name: 'Sign in'}).click();
  await page.getByText('That key was refused').waitFor();
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', {name: 'Sign in'}).click();
  await page.getByRole('navigation', {name: 'Main'}).waitFor();
  expect(await page.evaluate(() => sessionStorage.getItem('hookstream.apiKey')) === key, 'the key is in session storage');
  expect(await page.evaluate(() => localStorage.length) === 0, 'nothing in local storage');

  step('create a source: the API\'s validation message beside the field');
  await go('/sources/new');
  await page.getByLabel('Name', {exact: true}).fill('Shop');
  await page.getByLabel('Slug').fill('Bad Slug!');
  await page.getByRole('button', {name: 'Create'}).click();
  await page.locator('.field-error:visible', {hasText: 'slug'}).waitFor(); // the API's message, beside the field
  await page.getByLabel('Slug').fill('shop');
  await page.getByRole('button', {name: 'Create'}).click();
  await page.getByRole('heading', {name: 'Shop'}).waitFor();
  const ingestURL = await page.locator('.facts code').first().textContent();
  expect(/\/v1\/ingest\/src_[0-9a-f]{32}$/.test(ingestURL), `ingest URL ${ingestURL}`);
  const sourceID = ingestURL.split('/').pop();
  result('source', sourceID);

  step('create a destination: the loopback receiver, no retries');
  await go('/destinations/new');
  await page.getByLabel('Name', {exact: true}).fill('Receiver');
  await page.getByLabel('URL').fill(`${receiver}/ok`);
  await page.getByLabel('Retry failed deliveries').uncheck();
  await page.getByRole('button', {name: 'Create'}).click();
  await page.getByRole('heading', {name: 'Receiver'}).waitFor();
  const destinationID = (await page.locator('p.id').textContent()).trim();
  result('destination', destinationID);

  step('create a connection: an invalid rule is refused beside the field, then a valid one');
  await go('/connections/new');
  await page.getByLabel('Name', {exact: true}).fill('Paid orders');
  await page.getByLabel('Source', {exact: true}).selectOption(sourceID);
  await page.getByLabel('Destination', {exact: true}).selectOption(destinationID);
  await page.getByLabel('Filter rules').fill('[{"field": "payload.type", "op": "gt", "value": "x"}]');
  await page.getByRole('button', {name: 'Create'}).click();
  await page.locator('.field-error:visible', {hasText: 'filter_rules'}).waitFor();
  await page.getByLabel('Filter rules').fill('[{"field": "payload.type", "op": "eq", "value": "order.paid"}]');
  await page.getByRole('button', {name: 'Create'}).click();
  await page.getByRole('heading', {name: 'Paid orders'}).waitFor();
  const connectionID = (await page.locator('p.id').textContent()).trim();
  result('connection', connectionID);

  step('live tail');
  // Written out: a JavaScript number would round the big one.
  const firstBody = '{"type": "order.paid", "id": 1001, "amount": 4200, "big": 12345678901234567890, "price": 1.50}';
  const ws = await api('GET', '/ws');
  const liveServed = ws.status !== 404;
  result('live_tail', liveServed ? 'served' : 'not-served');
  await go('/live');
  let first;
  if (liveServed) {
    await page.getByText('Live:').waitFor();
    first = await ingest(ingestURL, firstBody);
    await page.locator('.feed-item.event', {hasText: first}).waitFor();
    await page.locator('.feed-item.delivery', {hasText: first}).waitFor();
    await page.getByRole('button', {name: 'Pause'}).click();
    await ingest(ingestURL, JSON.stringify({type: 'order.paid', id: 1002, amount: 99}));
    await page.getByRole('button', {name: /Resume \(\d+ new\)/}).waitFor();
    await page.getByRole('button', {name: /Resume/}).click();
    await shot('live-tail');
  } else {
    await page.getByText('this server does not serve GET /v1/ws').waitFor();
    first = await ingest(ingestURL, firstBody);
    await ingest(ingestURL, JSON.stringify({type: 'order.paid', id: 1002, amount: 99}));
  }
  result('first_event', first);

  step('a hostile payload and headers are shown as text and run nothing');
  const hostile = await ingest(ingestURL,
    JSON.stringify({type: 'note', html: '<script>window.__xss=1</script>', img: '<img src=x onerror="window.__xss=1">'}),
    {'X-Note': '<img src=x onerror="window.__xss=1">'});
  await ingest(ingestURL, 'a=1&b=<b onmouseover="window.__xss=1">bold</b>', {'Content-Type': 'application/x-www-form-urlencoded'});
  await go(`/events/${hostile}`);
  await page.getByRole('heading', {name: 'Payload'}).waitFor();
  await page.locator('pre.json', {hasText: '<script>window.__xss=1</script>'}).waitFor();
  await page.locator('td', {hasText: '<img src=x onerror="window.__xss=1">'}).waitFor();
  expect(await page.locator('main script, main img').count() === 0, 'no element made from the payload');

  step('the events list, newest first, and an event with its attempts');
  await go('/events');
  await page.locator('tbody tr').first().waitFor();
  await shot('events');
  await go('/events?search=order.paid');
  await page.locator('tbody tr', {hasText: first}).waitFor();
  await page.locator('tbody tr', {hasText: first}).getByRole('link').first().click();
  await page.getByRole('heading', {name: 'Deliveries'}).waitFor();
  // The literals as sent, not 12345678901234567000 and 1.5.
  await page.locator('pre.json', {hasText: '"big": 12345678901234567890,'}).waitFor();
  await page.locator('pre.json', {hasText: '"price": 1.50'}).waitFor();
  await page.locator('.attempt summary', {hasText: 'success'}).first().click();
  await page.getByText('HTTP 200').first().waitFor();
  await page.getByRole('heading', {name: 'Response body'}).first().waitFor();
  await shot('event');

  step('break the destination: its URL now answers 500');
  await go(`/destinations/${destinationID}`);
  await page.getByLabel('URL').fill(`${receiver}/fail`);
  await page.getByRole('button', {name: 'Save'}).click();
  await page.getByText('Saved destination Receiver').waitFor();
  const failing = await ingest(ingestURL, JSON.stringify({type: 'order.paid', id: 1003, amount: 7}));
  result('failed_event', failing);
  await until(async () => (await api('GET', `/events/${failing}`)).body.event.status === 'failed', 'the event is dead-lettered');
  await go(`/events/${failing}`);
  await page.locator('.delivery h3 .badge', {hasText: 'dead letter'}).waitFor();

  step('dead letters: a retry while it still fails, then fixed and retried as a selection');
  await go('/dead-letters');
  const row = page.locator('tbody tr', {hasText: failing});
  await row.waitFor();
  await row.getByRole('button', {name: 'Retry'}).click();
  await row.locator('.result', {hasText: 'failed'}).waitFor();
  await row.locator('.result', {hasText: 'HTTP 500'}).waitFor();
  await api('PATCH', `/destinations/${destinationID}`, {url: `${receiver}/ok`});
  await go('/dead-letters');
  const newest = page.locator('tbody tr', {hasText: failing}).first();
  await newest.waitFor();
  const all = page.getByLabel('Select every dead letter on this page');
  await all.check();
  expect(await page.locator('tbody input[type=checkbox]:checked').count() === await page.locator('tbody tr').count(), 'select all selects every row');
  await all.uncheck();
  await newest.getByRole('checkbox').check();
  await page.getByRole('button', {name: 'Retry 1 selected'}).click();
  await newest.locator('.result', {hasText: 'success'}).waitFor();
  await page.getByText('1 of 1 retries succeeded').waitFor();
  await shot('dead-letters');

  step('the playground: rules and a transform on the stored event, at each keystroke, then saved');
  await go(`/connections/${connectionID}`);
  await page.getByRole('link', {name: 'Open in the playground'}).click();
  await page.getByLabel(/A stored event/).selectOption(first);
  await page.locator('.rule-outcome', {hasText: 'matched'}).waitFor();
  await page.getByText('matches: would be delivered').waitFor();
  await page.getByLabel('Rule 1 value').fill('order.refunded');
  await page.getByText('does not match: not delivered').waitFor();
  await page.locator('.rule-outcome', {hasText: 'observed "order.paid"'}).waitFor();
  await page.getByLabel('Rule 1 value').fill('order.paid');
  await page.getByRole('button', {name: 'Add a rule'}).click();
  await page.getByLabel('Rule 2 field').fill('payload.amount');
  await page.getByLabel('Rule 2 operator').selectOption('gte');
  await page.getByLabel('Rule 2 value').fill('abc'); // a string for gte: refused beside the rule
  await page.locator('.rule .field-error:visible', {hasText: 'filter_rules[1]'}).waitFor();
  await page.getByLabel('Rule 2 value').fill('1000');
  await page.locator('.rule-outcome', {hasText: 'observed 4200'}).waitFor();
  await page.getByLabel('Transform the body').check();
  await page.getByLabel('JSONata expression').fill('{"order": id, "cents": amount, "big": big');
  await page.locator('#pg-expr-err:visible').waitFor(); // does not compile
  await page.getByLabel('JSONata expression').fill('{"order": id, "cents": amount, "big": big}');
  await page.locator('pre.json', {hasText: '"order": 1001'}).waitFor();
  await page.getByText('Unsaved changes').waitFor();
  await shot('playground');
  await page.getByRole('button', {name: 'Save to the connection'}).click();
  await page.getByText("Saved the connection's rules and transform").waitFor();
  const saved = (await api('GET', `/connections/${connectionID}`)).body.connection;
  expect(saved.transform_enabled === 1 && saved.transform_expression === '{"order": id, "cents": amount, "big": big}', 'the transform is saved');
  result('saved_rules', saved.filter_rules);

  step('a topic and a subscription');
  await go('/topics/new');
  await page.getByLabel('Name', {exact: true}).fill('Orders');
  await page.getByLabel('Slug').fill('orders');
  await page.getByRole('button', {name: 'Create'}).click();
  await page.getByRole('heading', {name: 'Subscribe a destination'}).waitFor();
  await page.getByLabel('Destination', {exact: true}).selectOption(destinationID);
  await page.getByLabel('JSONata transform').fill('{"total": total}');
  await page.getByRole('button', {name: 'Subscribe', exact: true}).click();
  await page.locator('tbody tr', {hasText: 'Receiver'}).waitFor();
  await shot('topic');
  await page.locator('tbody tr', {hasText: 'Receiver'}).getByRole('link', {name: 'Playground'}).click();
  await page.getByText('No stored events: paste a payload').waitFor({state: 'attached'});
  await page.getByLabel('Payload (edit it, or paste your own)').fill('{"total": 5, "currency": "EUR"}');
  await page.locator('pre.json', {hasText: '"total": 5'}).waitFor();
  await page.getByRole('button', {name: 'Add a rule'}).click();
  await page.getByLabel('Rule 1 field').fill('topic');
  await page.getByLabel('Rule 1 value').fill('orders');
  await page.locator('.rule-outcome', {hasText: 'observed "orders"'}).waitFor();

  step('the configuration lists, the circuit, the overview');
  await go('/sources');
  await page.locator('tbody tr').first().waitFor();
  await shot('sources');
  await go('/destinations');
  await page.locator('.circuit').first().waitFor();
  await shot('destinations');
  await go('/connections');
  await page.locator('tbody tr').first().waitFor();
  await shot('connections');
  await go('/');
  await page.locator('.attention .alert').first().waitFor();
  await page.locator('.chart-box figure, .chart-box .state.error').first().waitFor();
  const metricsServed = await page.locator('.chart-box figure').count() > 0;
  result('metrics', metricsServed ? 'served' : 'not-served');
  await page.waitForFunction(() => document.querySelectorAll('.chart-box .state.loading').length === 0);
  await shot('overview');

  step('names with markup are shown as text');
  await api('POST', '/sources', {name: '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>'});
  await go('/sources');
  await page.locator('tbody a', {hasText: '<img src=x onerror="window.__xss=1"><script>'}).waitFor();
  expect(await page.locator('main script, main img').count() === 0, 'no element made from a name');

  step('a narrow screen: the menu folds, tables stack');
  const phone = await context.newPage();
  await phone.setViewportSize({width: 390, height: 844});
  await phone.goto(`${base}#/events`);
  // A new tab has no key: it lives in one tab's session storage.
  await phone.getByLabel('API key').fill(key);
  await phone.getByRole('button', {name: 'Sign in'}).click();
  await phone.locator('tbody tr').first().waitFor();
  expect(await phone.getByRole('link', {name: 'Dead letters'}).isHidden(), 'the menu is folded');
  await phone.getByRole('button', {name: 'Menu'}).click();
  await phone.getByRole('link', {name: 'Dead letters'}).waitFor();
  const overflow = await phone.evaluate(() => {
    const wide = [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1);
    return {by: document.documentElement.scrollWidth - window.innerWidth, what: wide.slice(0, 5).map((e) => e.tagName + '.' + e.className).join(', ')};
  });
  if (overflow.by > 0) await shot('failure-narrow', phone);
  expect(overflow.by <= 0, `the page is ${overflow.by} px wider than the screen: ${overflow.what}`);
  await shot('events-narrow', phone);
  await phone.close();

  step('keyboard: on a fresh load the skip link, then the navigation; after a navigation, focus on the content');
  await go('/events');
  await page.reload();
  await page.locator('tbody tr').first().waitFor();
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement.id) === 'skip', 'the skip link is focused first');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement.getAttribute('href')) === '#/', 'then the navigation');
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement.getAttribute('href')) === '#/events', 'the events link');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Enter'); // the skip link
  expect(await page.evaluate(() => document.activeElement.id) === 'main', 'the skip link moves focus to the content');
  await page.getByRole('link', {name: 'Dead letters'}).press('Enter');
  await page.getByRole('heading', {name: 'Dead letters'}).waitFor();
  expect(await page.evaluate(() => document.activeElement.id) === 'main', 'a navigation moves focus to the content');

  if (process.env.HS_PERF_TOTAL) {
    step(`the events view's first page with ${process.env.HS_PERF_TOTAL} events stored`);
    await go('/');
    await page.locator('.attention .alert').first().waitFor();
    const started = Date.now();
    await page.evaluate(() => { location.hash = '#/events'; });
    await page.locator('p.count').waitFor();
    await page.locator('tbody tr').nth(49).waitFor();
    const ms = Date.now() - started;
    const shown = await page.locator('p.count').textContent();
    result('first_page_ms', ms);
    expect(shown.replace(/\D/g, '') >= Number(process.env.HS_PERF_TOTAL), `the count says ${shown}`);
    expect(ms < 1000, `the first page took ${ms} ms`);
  }

  expect(await page.evaluate(() => window.__xss) === undefined, 'no injected script ran');
  expect(problems.length === 0, problems.join('\n'));
  console.log('walk: every step passed');
} catch (err) {
  console.error(err.stack || String(err));
  await page.screenshot({path: join(shots, 'failure.png'), fullPage: true}).catch(() => {});
  if (problems.length) console.error(problems.join('\n'));
  await browser.close();
  process.exit(1);
}
await browser.close();

// Overview: today's figures, volume, success rate and latency over time
// (from the metrics endpoints), dead letters waiting and open circuits.
import {h, replace, state, errorState, num} from '../dom.js';
import {all} from '../api.js';
import {href} from '../router.js';
import {lineChart, bucketGrid} from '../charts.js';
import {header, filterBar, firstPage, pickerOptions} from './common.js';
import {circuitView} from './destinations.js';

const ranges = {'24h': {hours: 24, granularity: 'hour'}, '7d': {hours: 24 * 7, granularity: 'day'}, '30d': {hours: 24 * 30, granularity: 'day'}};
const topSeries = 5;

export async function overview(ctx) {
  const {api, root, query, signal} = ctx;
  const range = ranges[query.get('range')] ? query.get('range') : '24h';
  const {hours, granularity} = ranges[range];
  const before = Date.now();
  const after = before - hours * 3600000;
  const window = {after: new Date(after).toISOString(), before: new Date(before).toISOString()};

  const cards = h('div', {class: 'cards'}, state('loading', 'Loading today\'s figures…'));
  const attention = h('div', {class: 'attention'});
  const volume = h('div', {class: 'chart-box'}, state('loading', 'Loading volume…'));
  const deliveries = h('div', {class: 'chart-box'}, state('loading', 'Loading deliveries…'));
  const latency = h('div', {class: 'chart-box'}, state('loading', 'Loading latency…'));
  const filters = h('div', {});
  root.append(header('Overview'), attention, cards, filters,
    h('div', {class: 'charts'}, volume, deliveries, latency));

  const [srcs, dsts] = await Promise.all([
    firstPage(api, '/sources', 'sources', signal).catch(() => ({items: []})),
    firstPage(api, '/destinations', 'destinations', signal).catch(() => ({items: []})),
  ]);
  replace(filters, filterBar('/', query, [
    {name: 'range', label: 'Range', options: [['24h', 'last 24 hours, hourly'], ['7d', 'last 7 days, daily'], ['30d', 'last 30 days, daily']], any: 'last 24 hours, hourly'},
    {name: 'source_id', label: 'Source', options: pickerOptions(srcs.items), any: 'All sources'},
    {name: 'destination_id', label: 'Destination', options: pickerOptions(dsts.items), any: 'All destinations'},
  ]));

  const q = (extra) => ({...window, ...extra});
  await Promise.all([
    loadCards(api, signal, cards),
    loadAttention(api, signal, attention, dsts.items),
    loadChart(volume, 'Volume', () => api.get('/metrics/volume', q({granularity, source_id: query.get('source_id')}), {signal}),
      (res) => volumeChart(res, after, before, granularity)),
    loadChart(deliveries, 'Deliveries', () => api.get('/metrics/deliveries', q({granularity, destination_id: query.get('destination_id')}), {signal}),
      (res) => deliveryCharts(res, after, before, granularity)),
    loadChart(latency, 'Latency', () => api.get('/metrics/latency', q({destination_id: query.get('destination_id')}), {signal}),
      (res) => latencyChart(res, after, before, Boolean(query.get('destination_id')))),
  ]);
}

async function loadChart(box, what, load, draw) {
  try {
    replace(box, draw(await load()));
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    replace(box, h('h2', {}, what), errorState(err, `${what} could not be loaded`));
  }
}

async function loadCards(api, signal, box) {
  let m;
  try {
    m = await api.get('/metrics/overview', {}, {signal});
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    box.className = '';
    replace(box, errorState(err, 'Today\'s figures could not be loaded'));
    return;
  }
  const rate = m.success_rate_today === null || m.success_rate_today === undefined
    ? '—' : `${m.success_rate_today.toFixed(1)} %`; // a percentage
  const card = (label, value, link) => h('div', {class: 'card stat'},
    h('p', {class: 'stat-label'}, label),
    h('p', {class: 'stat-value'}, link ? h('a', {href: link}, value) : value));
  replace(box,
    card('Events today', num(m.events_today), href('/events')),
    card('Events this week', num(m.events_this_week)),
    card('Deliveries today', num(m.deliveries_today)),
    card('Succeeded today', num(m.success_today)),
    card('Failed today', num(m.failed_today)),
    card('Success rate today', rate),
    card('Dead letters', num(m.dlq_count), href('/dead-letters')),
    card('Active sources', num(m.active_sources), href('/sources')),
    card('Active destinations', num(m.active_destinations), href('/destinations')));
}

// loadAttention shows what needs a person: dead letters waiting and the
// circuits that are not closed (of the first 100 destinations).
async function loadAttention(api, signal, box, destinations) {
  const parts = [];
  try {
    const res = await api.get('/delivery-attempts', {is_dlq: 1, limit: 1}, {signal});
    const n = res.pagination.total;
    parts.push(h('p', {class: n ? 'alert bad' : 'alert ok'}, n
      ? h('a', {href: href('/dead-letters')}, `${num(n)} dead letter${n === 1 ? '' : 's'}`)
      : 'No dead letters.'));
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    parts.push(errorState(err, 'Dead letters'));
  }
  const circuits = await all(destinations, 6, (d) => api.get(`/destinations/${d.id}/circuit`, {}, {signal}));
  const open = destinations.map((d, i) => ({d, c: circuits[i].ok ? circuits[i].value.circuit : null})).filter((x) => x.c && x.c.state !== 'closed');
  const reload = () => loadAttention(api, signal, box, destinations);
  parts.push(open.length === 0
    ? h('p', {class: 'alert ok'}, 'Every circuit is closed.')
    : h('div', {class: 'alert bad'}, h('p', {}, `${open.length} circuit${open.length === 1 ? '' : 's'} not closed:`),
      h('ul', {}, open.map(({d, c}) => h('li', {}, h('a', {href: href(`/destinations/${d.id}`)}, d.name), ' ', circuitView(api, d, c, reload))))));
  replace(box, parts);
}

// group sums a series' field per bucket for each key, keeping the top
// keys by total and summing the others.
function group(series, keyOf, nameOf, field) {
  const byKey = new Map();
  for (const p of series) {
    const k = keyOf(p);
    if (!byKey.has(k)) byKey.set(k, {name: nameOf(p), values: new Map(), total: 0});
    const g = byKey.get(k);
    const t = Date.parse(p.bucket);
    g.values.set(t, (g.values.get(t) || 0) + (p[field] || 0));
    g.total += p[field] || 0;
  }
  const sorted = [...byKey.values()].sort((a, b) => b.total - a.total);
  if (sorted.length <= topSeries) return sorted;
  const others = {name: `${sorted.length - topSeries + 1} others`, values: new Map()};
  for (const g of sorted.slice(topSeries - 1)) {
    for (const [t, v] of g.values) others.values.set(t, (others.values.get(t) || 0) + v);
  }
  return [...sorted.slice(0, topSeries - 1), others];
}

function buckets(series, after, before, granularity) {
  return bucketGrid(after, before, granularity, series.map((p) => Date.parse(p.bucket)));
}

function zeroFill(groups, grid) {
  for (const g of groups) for (const t of grid) if (!g.values.has(t)) g.values.set(t, 0);
  return groups;
}

function volumeChart(res, after, before, granularity) {
  const grid = buckets(res.series, after, before, res.granularity || granularity);
  const groups = zeroFill(group(res.series, (p) => p.source_id, (p) => p.source_name || p.source_id || 'topics', 'event_count'), grid);
  return h('section', {}, h('h2', {}, 'Volume'),
    lineChart({title: 'Events received per ' + (res.granularity || granularity), buckets: grid, series: groups, format: (v) => num(Math.round(v)), granularity: res.granularity || granularity}));
}

function deliveryCharts(res, after, before, granularity) {
  const gran = res.granularity || granularity;
  const grid = buckets(res.series, after, before, gran);
  const sum = (field) => {
    const m = new Map(grid.map((t) => [t, 0]));
    for (const p of res.series) m.set(Date.parse(p.bucket), (m.get(Date.parse(p.bucket)) || 0) + (p[field] || 0));
    return m;
  };
  const total = sum('delivery_count');
  const ok = sum('success_count');
  const rate = new Map();
  for (const [t, n] of total) if (n > 0) rate.set(t, (100 * ok.get(t)) / n);
  return h('section', {}, h('h2', {}, 'Deliveries'),
    lineChart({title: `Delivery attempts per ${gran}`, buckets: grid, granularity: gran, format: (v) => num(Math.round(v)), series: [
      {name: 'succeeded', values: ok}, {name: 'failed', values: sum('failed_count')}, {name: 'dead-lettered', values: sum('dlq_count')}]}),
    lineChart({title: 'Success rate (%)', buckets: grid, granularity: gran, format: (v) => `${v.toFixed(v % 1 ? 1 : 0)}`,
      series: [{name: 'success rate', values: rate}]}));
}

function latencyChart(res, after, before, oneDestination) {
  const grid = buckets(res.series, after, before, 'hour');
  const ms = (v) => `${Math.round(v)} ms`;
  if (oneDestination) {
    const pick = (field) => new Map(res.series.map((p) => [Date.parse(p.bucket), p[field]]));
    return h('section', {}, h('h2', {}, 'Latency'),
      lineChart({title: 'Attempt duration per hour', buckets: grid, format: ms, series: [
        {name: 'p50', values: pick('p50_ms')}, {name: 'p95', values: pick('p95_ms')}, {name: 'p99', values: pick('p99_ms')}]}));
  }
  // Percentiles of different destinations do not add up: one line each
  // (p95), the busiest first; pick a destination for p50/p95/p99.
  const byDst = new Map();
  for (const p of res.series) {
    if (!byDst.has(p.destination_id)) byDst.set(p.destination_id, {name: `${p.destination_name || p.destination_id} p95`, values: new Map(), total: 0});
    const g = byDst.get(p.destination_id);
    g.values.set(Date.parse(p.bucket), p.p95_ms);
    g.total += p.count || 0;
  }
  const series = [...byDst.values()].sort((a, b) => b.total - a.total).slice(0, topSeries);
  return h('section', {}, h('h2', {}, 'Latency'),
    lineChart({title: 'p95 attempt duration per hour, by destination', buckets: grid, format: ms, series}),
    h('p', {class: 'hint'}, 'Choose a destination above for its p50, p95 and p99.', byDst.size > topSeries ? ` Showing the ${topSeries} busiest of ${byDst.size}.` : ''));
}

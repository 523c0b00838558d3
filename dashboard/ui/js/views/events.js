// Events: the list with the API's filters, newest first, one page at a
// time; an event's page with its headers, payload, verification and dedup,
// and each delivery with its attempts.
import {h, replace, state, errorState, time, badge, bytes, num, table, dl, toast} from '../dom.js';
import {href} from '../router.js';
import {payloadView, headersView, bodyText} from '../payload.js';
import {header, cursorPager, filterBar, firstPage, pickerOptions, idLink} from './common.js';

const filterNames = ['source_id', 'status', 'dedup_status', 'verification_status', 'method', 'topic', 'search', 'after', 'before', 'cursor'];

export async function eventList({api, root, query, signal}) {
  const list = h('div', {}, state('loading', 'Loading events…'));
  const filters = h('div', {});
  root.append(header('Events'), filters, list);

  const sources = firstPage(api, '/sources', 'sources', signal).catch(() => ({items: [], more: false}));
  const q = {limit: 50};
  for (const n of filterNames) if (query.get(n)) q[n] = query.get(n);
  let res;
  try {
    res = await api.get('/events', q, {signal});
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    replace(list, errorState(err, 'The events could not be loaded'));
    res = null;
  }
  const src = await sources;
  replace(filters, filterBar('/events', query, [
    {name: 'source_id', label: 'Source', options: pickerOptions(src.items)},
    {name: 'status', label: 'Status', options: ['received', 'processing', 'delivered', 'failed'].map((s) => [s, s])},
    {name: 'verification_status', label: 'Verification', options: ['unverified', 'verified', 'schema_invalid'].map((s) => [s, s])},
    {name: 'dedup_status', label: 'Dedup', options: [['unique', 'unique'], ['duplicate', 'duplicate']]},
    {name: 'method', label: 'Method', options: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((s) => [s, s])},
    {name: 'topic', label: 'Topic', placeholder: 'slug'},
    {name: 'search', label: 'Search', placeholder: 'text in the payload'},
    {name: 'after', label: 'After', type: 'datetime'},
    {name: 'before', label: 'Before', type: 'datetime'},
  ]));
  if (!res) return;
  const events = res.events;
  const p = res.pagination;
  if (events.length === 0) {
    replace(list, state('empty', query.toString() ? 'No event matches these filters.' : 'No events yet: send a webhook to a source\'s ingest URL.'));
    return;
  }
  replace(list,
    h('p', {class: 'muted count'}, `${num(p.total)} event${p.total === 1 ? '' : 's'}${query.toString() ? ' match' : ''}`),
    table([
      {label: 'Received', cell: (e) => h('a', {href: href(`/events/${e.id}`)}, time(e.received_at))},
      {label: 'Source', cell: (e) => e.topic ? h('span', {}, 'topic ', h('strong', {}, e.topic)) : (e.source_name || e.source_id)},
      {label: 'Method', cell: (e) => e.method},
      {label: 'Status', cell: (e) => badge(e.status)},
      {label: 'Verification', cell: (e) => badge(e.verification_status)},
      {label: 'Dedup', cell: (e) => badge(e.dedup_status)},
      {label: 'Size', class: 'num', cell: (e) => bytes(e.payload_size)},
      {label: 'ID', cell: (e) => idLink('/events', e.id)},
    ], events, 'Events, newest first'),
    cursorPager('/events', query, p.next_cursor));
}

export async function eventPage(ctx) {
  const {api, root, segments, signal, setTitle} = ctx;
  const id = segments[1];
  setTitle(`Event ${id}`);
  root.append(state('loading', 'Loading the event…'));
  let ev;
  try {
    ev = (await api.get(`/events/${encodeURIComponent(id)}`, {}, {signal, lossless: true})).event;
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    replace(root, header('Event'), errorState(err, 'The event could not be loaded'));
    return;
  }
  const deliveries = h('div', {}, state('loading', 'Loading deliveries…'));
  const retryAll = h('button', {type: 'button'}, 'Retry every delivery');
  retryAll.addEventListener('click', async () => {
    retryAll.disabled = true;
    try {
      const r = await api.post(`/events/${ev.id}/retry`);
      toast(r.message + (r.errors.length ? `: ${r.errors.join('; ')}` : ''), r.errors.length ? 'bad' : 'ok');
      loadDeliveries(ctx, ev, deliveries);
    } catch (err) {
      toast(`Retry failed: ${err.message}`, 'bad');
    } finally {
      retryAll.disabled = false;
    }
  });
  const source = ev.topic
    ? ['Topic', h('a', {href: href(`/topics/${ev.topic}`)}, ev.topic)]
    : ['Source', h('a', {href: href(`/sources/${ev.source_id}`)}, ev.source_name || ev.source_id)];
  replace(root,
    header(`Event`, retryAll, playgroundLink(ev)),
    h('p', {class: 'mono id'}, ev.id),
    dl([
      ['Status', badge(ev.status)],
      ['Received', time(ev.received_at)],
      source,
      ['Request', `${ev.method} · ${ev.content_type || 'no content type'} · ${bytes(ev.payload_size)} · from ${ev.source_ip || '—'}`],
      ['Verification', h('span', {}, badge(ev.verification_status), ev.verification_error ? h('span', {class: 'error-text'}, ` ${ev.verification_error}`) : null)],
      ['Dedup', h('span', {}, badge(ev.dedup_status), ev.dedup_hash ? h('span', {class: 'mono muted'}, ` ${ev.dedup_hash}`) : null)],
    ]),
    h('section', {'aria-labelledby': 'payload-h'}, h('h2', {id: 'payload-h'}, 'Payload'), payloadView(ev)),
    h('section', {'aria-labelledby': 'headers-h'}, h('h2', {id: 'headers-h'}, 'Headers'), headersView(ev.headers, 'Request headers')),
    ev.query_params && ev.query_params !== '{}' ? h('section', {'aria-labelledby': 'query-h'}, h('h2', {id: 'query-h'}, 'Query parameters'), headersView(ev.query_params, 'Query parameters')) : null,
    h('section', {'aria-labelledby': 'deliveries-h'}, h('h2', {id: 'deliveries-h'}, 'Deliveries'), deliveries));
  await loadDeliveries(ctx, ev, deliveries);
}

function playgroundLink(ev) {
  if (ev.topic) return h('a', {class: 'button', href: href('/playground', {topic: ev.topic, event: ev.id})}, 'Open in the playground');
  return h('a', {class: 'button', href: href('/playground', {source: ev.source_id, event: ev.id})}, 'Open in the playground');
}

// loadDeliveries shows an event's attempts grouped by delivery (its
// connection or subscription), newest attempt first.
async function loadDeliveries({api, signal}, ev, box) {
  let attempts = [];
  let note = null;
  try {
    // An event has one delivery per matched route, each at most 11
    // attempts and its manual retries: 100 covers all but extreme cases.
    const res = await api.get('/delivery-attempts', {event_id: ev.id, limit: 100}, {signal});
    attempts = res.delivery_attempts;
    if (res.pagination.has_more) note = h('p', {class: 'hint'}, `Showing the newest 100 of ${res.pagination.total} attempts.`);
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    replace(box, errorState(err, 'The attempts could not be loaded'));
    return;
  }
  if (attempts.length === 0) {
    replace(box, state('empty', ev.dedup_status === 'duplicate'
      ? 'A duplicate: it was stored but not delivered.'
      : 'No delivery attempt yet (no route matched, or the first attempt is still to come).'));
    return;
  }
  const groups = new Map();
  for (const a of attempts) {
    const k = (a.connection_id || a.subscription_id) + '|' + a.destination_id;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(a);
  }
  replace(box, note, [...groups.values()].map((as) => deliveryCard(api, as, () => loadDeliveries({api, signal}, ev, box))));
}

function deliveryCard(api, attempts, reload) {
  const last = attempts[0];
  const route = last.connection_id
    ? h('a', {href: href(`/connections/${last.connection_id}`)}, last.connection_name || last.connection_id)
    : h('span', {}, 'subscription ', h('span', {class: 'mono'}, last.subscription_id));
  return h('article', {class: 'card delivery'},
    h('h3', {}, route, ' → ', h('a', {href: href(`/destinations/${last.destination_id}`)}, last.destination_name || last.destination_id), ' ',
      badge(last.is_dlq ? 'dead letter' : last.status, last.is_dlq ? 'bad' : undefined)),
    h('ol', {class: 'attempts', reversed: true}, attempts.map((a) => h('li', {}, attemptView(api, a, reload)))));
}

// attemptView is one attempt: request, response, timing, error.
export function attemptView(api, a, reload) {
  const retry = a.status === 'failed'
    ? h('button', {type: 'button', class: 'small', onclick: async (e) => {
      e.target.disabled = true;
      try {
        const r = (await api.post(`/delivery-attempts/${a.id}/retry`)).delivery_attempt;
        toast(`Retried: attempt ${r.attempt_number} ${r.status}${r.response_status ? ` (${r.response_status})` : ''}`, r.status === 'success' ? 'ok' : 'bad');
        if (reload) reload();
      } catch (err) {
        toast(`Retry failed: ${err.message}`, 'bad');
        e.target.disabled = false;
      }
    }}, 'Retry now')
    : null;
  return h('details', {class: 'attempt'},
    h('summary', {},
      h('span', {class: 'attempt-n'}, `#${a.attempt_number}`), ' ', badge(a.status), a.is_dlq ? [' ', badge('dead letter', 'bad')] : null,
      ' ', h('span', {class: 'mono'}, a.response_status ? `HTTP ${a.response_status}` : ''),
      ' ', h('span', {class: 'muted'}, `${a.duration_ms ?? '—'} ms · ${a.trigger_type} · `), time(a.created_at)),
    h('div', {class: 'attempt-body'},
      h('div', {class: 'actions'}, retry),
      a.error ? h('p', {class: 'error-text'}, a.error) : null,
      dl([
        ['Attempt', h('span', {class: 'mono'}, a.id)],
        ['Request', h('span', {class: 'mono wrap'}, `${a.request_method || ''} ${a.request_url || ''}`)],
        ['Body size', bytes(a.request_body_size)],
        a.next_retry_at ? ['Next retry', time(a.next_retry_at)] : null,
        a.is_dlq ? ['Dead-lettered', time(a.dlq_at)] : null,
      ]),
      h('h4', {}, 'Request headers'), headersView(a.request_headers, 'Request headers'),
      h('h4', {}, 'Response headers'), headersView(a.response_headers, 'Response headers'),
      h('h4', {}, 'Response body'), bodyText(a.response_body, 'Response body')));
}

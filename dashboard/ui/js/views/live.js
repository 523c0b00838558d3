// Live tail: events and delivery attempts as they happen, from the
// WebSocket feed (GET /v1/ws), newest first, pausable.
import {h, replace, state, errorState, time, badge, bytes} from '../dom.js';
import {APIError} from '../api.js';
import {href} from '../router.js';
import {header, filterBar, firstPage, pickerOptions} from './common.js';

// At most this many rows are shown, and kept while paused.
const maxRows = 200;

export async function liveTail({api, root, query, signal, onLeave}) {
  const status = h('p', {class: 'live-status', role: 'status'}, 'Connecting…');
  const pause = h('button', {type: 'button', 'aria-pressed': 'false'}, 'Pause');
  const clear = h('button', {type: 'button'}, 'Clear');
  const list = h('ol', {class: 'feed', 'aria-label': 'Live feed, newest first'});
  const box = h('div', {}, state('empty', 'Waiting for events and deliveries…'));
  const filters = h('div', {});
  root.append(header('Live tail', pause, clear), filters, status, box);

  const [srcs, dsts] = await Promise.all([
    firstPage(api, '/sources', 'sources', signal).catch(() => ({items: []})),
    firstPage(api, '/destinations', 'destinations', signal).catch(() => ({items: []})),
  ]);
  replace(filters, filterBar('/live', query, [
    {name: 'source_id', label: 'Events of source', options: pickerOptions(srcs.items), any: 'All sources'},
    {name: 'destination_id', label: 'Deliveries to', options: pickerOptions(dsts.items), any: 'All destinations'},
    {name: 'show', label: 'Show', options: [['events', 'events only'], ['deliveries', 'deliveries only']], any: 'events and deliveries'},
  ]));
  const show = query.get('show');
  const channels = [];
  if (show !== 'deliveries') channels.push(query.get('source_id') ? `events:${query.get('source_id')}` : 'events');
  if (show !== 'events') channels.push(query.get('destination_id') ? `deliveries:${query.get('destination_id')}` : 'deliveries');

  let paused = false;
  let held = [];
  let heldOverflow = 0;
  let ws = null;
  let closed = false;
  let retryDelay = 1000;
  let retryTimer = null;

  function add(node) {
    if (!list.isConnected) replace(box, list);
    list.prepend(node);
    while (list.children.length > maxRows) list.lastChild.remove();
  }
  function receive(node) {
    if (!paused) {
      add(node);
      return;
    }
    held.push(node);
    if (held.length > maxRows) {
      held.shift();
      heldOverflow++;
    }
    pause.textContent = `Resume (${held.length + heldOverflow} new)`;
  }
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.setAttribute('aria-pressed', String(paused));
    if (paused) {
      pause.textContent = 'Resume';
      return;
    }
    pause.textContent = 'Pause';
    if (heldOverflow) add(h('li', {class: 'feed-note'}, `${heldOverflow} older messages received while paused are not shown.`));
    for (const n of held) add(n);
    held = [];
    heldOverflow = 0;
  });
  clear.addEventListener('click', () => {
    list.replaceChildren();
    replace(box, state('empty', 'Waiting for events and deliveries…'));
  });

  function connect() {
    ws = new WebSocket(api.websocketURL());
    let welcomed = false;
    ws.addEventListener('message', (m) => {
      let msg;
      try {
        msg = JSON.parse(m.data);
      } catch {
        return;
      }
      if (msg.type === 'welcome') {
        welcomed = true;
        retryDelay = 1000;
        status.textContent = `Live: ${channels.join(', ')}`;
        status.className = 'live-status on';
        for (const channel of channels) ws.send(JSON.stringify({type: 'subscribe', channel}));
      } else if (msg.type === 'event') {
        receive(eventRow(msg.data));
      } else if (msg.type === 'delivery') {
        receive(deliveryRow(msg.data));
      } else if (msg.type === 'error') {
        receive(h('li', {class: 'feed-note'}, `${msg.channel}: ${msg.error}`));
      } else if (msg.type === 'dropped') {
        receive(h('li', {class: 'feed-note'}, `${msg.count} ${msg.channel} messages were dropped: this tab fell behind the feed.`));
      }
    });
    ws.addEventListener('close', async () => {
      if (closed) return;
      status.className = 'live-status off';
      if (!welcomed) {
        // A closed handshake says nothing of why: ask over HTTP.
        const why = await probe(api);
        if (why) {
          closed = true;
          replace(status);
          replace(box, errorState(why, 'The live feed is not available'));
          return;
        }
      }
      status.textContent = `Disconnected; reconnecting in ${retryDelay / 1000} s…`;
      retryTimer = setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    });
  }
  onLeave(() => {
    closed = true;
    clearTimeout(retryTimer);
    if (ws) ws.close();
  });
  connect();
}

// probe asks GET /v1/ws without an upgrade why the feed refused: an
// APIError for a path not served (404) or a refused key (401), else null.
async function probe(api) {
  try {
    await api.get('/ws');
    return null;
  } catch (err) {
    if (err instanceof APIError && (err.notServed || err.status === 401 || err.status === 403)) return err;
    return null;
  }
}

function eventRow(e) {
  return h('li', {class: 'feed-item event'},
    h('span', {class: 'kind'}, 'event'), ' ', time(e.received_at), ' ',
    h('strong', {}, e.topic ? `topic ${e.topic}` : (e.source_name || e.source_id)), ' ',
    h('span', {class: 'mono'}, e.method), ' ', badge(e.status), ' ', bytes(e.payload_size), ' ',
    h('a', {href: href(`/events/${e.id}`), class: 'mono'}, e.id));
}

function deliveryRow(a) {
  return h('li', {class: 'feed-item delivery'},
    h('span', {class: 'kind'}, 'delivery'), ' ', time(a.created_at), ' ',
    h('strong', {}, a.destination_name || a.destination_id), ' ',
    badge(a.status), a.is_dlq ? [' ', badge('dead letter', 'bad')] : null, ' ',
    a.response_status ? h('span', {class: 'mono'}, `HTTP ${a.response_status}`) : null, ' ',
    h('span', {class: 'muted'}, `attempt ${a.attempt_number} · ${a.duration_ms ?? '—'} ms`), ' ',
    a.error ? h('span', {class: 'error-text'}, a.error) : null, ' ',
    h('a', {href: href(`/events/${a.event_id}`), class: 'mono'}, a.event_id));
}

// Dead letters: the dead-lettered attempts (is_dlq=1), filtered by
// destination or connection; retry one, or a selection, with each result.
import {h, replace, state, errorState, time, badge, table, toast} from '../dom.js';
import {all} from '../api.js';
import {href} from '../router.js';
import {header, offsetPager, filterBar, firstPage, pickerOptions} from './common.js';

const pageSize = 50;

export async function deadLetters({api, root, query, signal}) {
  const list = h('div', {}, state('loading', 'Loading dead letters…'));
  const filters = h('div', {});
  root.append(header('Dead letters'),
    h('p', {class: 'hint'}, 'Deliveries that exhausted their retries (or failed for good). A retry is a new attempt made at once; the dead letter stays listed as history.'),
    filters, list);
  const offset = Number(query.get('offset')) || 0;
  const [dsts, conns] = await Promise.all([
    firstPage(api, '/destinations', 'destinations', signal).catch(() => ({items: []})),
    firstPage(api, '/connections', 'connections', signal).catch(() => ({items: []})),
  ]);
  replace(filters, filterBar('/dead-letters', query, [
    {name: 'destination_id', label: 'Destination', options: pickerOptions(dsts.items)},
    {name: 'connection_id', label: 'Connection', options: pickerOptions(conns.items)},
  ]));
  let res;
  try {
    res = await api.get('/delivery-attempts', {
      is_dlq: 1, limit: pageSize, offset, destination_id: query.get('destination_id'), connection_id: query.get('connection_id'),
    }, {signal});
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    replace(list, errorState(err, 'The dead letters could not be loaded'));
    return;
  }
  const rows = res.delivery_attempts;
  if (rows.length === 0) {
    replace(list, state('empty', offset ? 'No more dead letters.' : 'No dead letters: every delivery got through or is still being retried.'));
    return;
  }
  const results = new Map();
  const boxes = new Map();
  const selectAll = h('input', {type: 'checkbox', id: 'dlq-all', 'aria-label': 'Select every dead letter on this page'});
  const retrySelected = h('button', {type: 'button', class: 'primary', disabled: true}, 'Retry selected');
  const updateButton = () => {
    const n = [...boxes.values()].filter((b) => b.checked).length;
    retrySelected.disabled = n === 0;
    retrySelected.textContent = n ? `Retry ${n} selected` : 'Retry selected';
  };
  selectAll.addEventListener('change', () => {
    for (const b of boxes.values()) b.checked = selectAll.checked;
    updateButton();
  });

  async function retry(a) {
    const cell = results.get(a.id);
    replace(cell, h('span', {class: 'muted'}, 'Retrying…'));
    try {
      const r = (await api.post(`/delivery-attempts/${a.id}/retry`)).delivery_attempt;
      replace(cell, badge(r.status), ' ', r.response_status ? `HTTP ${r.response_status}` : '', r.error ? h('span', {class: 'error-text'}, ` ${r.error}`) : '');
      return r;
    } catch (err) {
      replace(cell, h('span', {class: 'error-text'}, err.message));
      throw err;
    }
  }

  retrySelected.addEventListener('click', async () => {
    const chosen = rows.filter((a) => boxes.get(a.id).checked);
    retrySelected.disabled = true;
    // Four at a time: each retry is a real delivery, made at once.
    const outcomes = await all(chosen, 4, retry);
    const ok = outcomes.filter((o) => o.ok && o.value.status === 'success').length;
    toast(`${ok} of ${chosen.length} retries succeeded`, ok === chosen.length ? 'ok' : 'bad');
    updateButton();
  });

  replace(list,
    h('div', {class: 'toolbar'}, h('label', {for: 'dlq-all', class: 'check'}, selectAll, ' All on this page'), retrySelected),
    table([
      {label: 'Select', cell: (a) => {
        const b = h('input', {type: 'checkbox', 'aria-label': `Select dead letter ${a.id}`, onchange: updateButton});
        boxes.set(a.id, b);
        return b;
      }},
      {label: 'Dead-lettered', cell: (a) => time(a.dlq_at || a.created_at)},
      {label: 'Event', cell: (a) => h('a', {href: href(`/events/${a.event_id}`), class: 'mono'}, a.event_id)},
      {label: 'Route', cell: (a) => a.connection_id
        ? h('a', {href: href(`/connections/${a.connection_id}`)}, a.connection_name || a.connection_id)
        : h('span', {class: 'mono'}, a.subscription_id)},
      {label: 'Destination', cell: (a) => h('a', {href: href(`/destinations/${a.destination_id}`)}, a.destination_name || a.destination_id)},
      {label: 'Last error', cell: (a) => h('span', {class: 'error-text'}, a.response_status ? `HTTP ${a.response_status}: ` : '', a.error || '')},
      {label: 'Attempts', class: 'num', cell: (a) => String(a.attempt_number)},
      {label: 'Retry', cell: (a) => h('button', {type: 'button', class: 'small', onclick: (e) => {
        e.target.disabled = true;
        retry(a).catch(() => {}).finally(() => { e.target.disabled = false; });
      }}, 'Retry')},
      {label: 'Result', cell: (a) => {
        const c = h('span', {class: 'result', 'aria-live': 'polite'});
        results.set(a.id, c);
        return c;
      }},
    ], rows, 'Dead letters'),
    offsetPager('/dead-letters', query, {offset, limit: pageSize, total: res.pagination.total, hasMore: res.pagination.has_more}));
}

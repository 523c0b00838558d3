// Pieces the views share: page headers, pagers, filter bars, pickers.
import {h} from '../dom.js';
import {href, navigate, queryObject} from '../router.js';

// header is a view's heading with its actions.
export function header(title, ...actions) {
  return h('div', {class: 'view-head'}, h('h1', {}, title), h('div', {class: 'actions'}, actions));
}

// cursorPager links to the first page and the next one of a listing paged
// by the API's cursors; the cursor is in the URL, so a page can be shared.
export function cursorPager(path, query, nextCursor) {
  const q = queryObject(query);
  const first = q.cursor ? h('a', {href: href(path, {...q, cursor: ''}), class: 'button'}, '← Newest') : null;
  const next = nextCursor ? h('a', {href: href(path, {...q, cursor: nextCursor}), class: 'button', rel: 'next'}, 'Older →') : null;
  if (!first && !next) return null;
  return h('nav', {class: 'pager', 'aria-label': 'Pages'}, first, next);
}

// offsetPager pages an offset listing (delivery attempts).
export function offsetPager(path, query, {offset, limit, total, hasMore}) {
  const q = queryObject(query);
  const prev = offset > 0 ? h('a', {href: href(path, {...q, offset: Math.max(0, offset - limit) || ''}), class: 'button'}, '← Newer') : null;
  const next = hasMore ? h('a', {href: href(path, {...q, offset: offset + limit}), class: 'button', rel: 'next'}, 'Older →') : null;
  return h('nav', {class: 'pager', 'aria-label': 'Pages'}, prev,
    h('span', {class: 'muted'}, total ? `${offset + 1}–${Math.min(offset + limit, total)} of ${total}` : ''), next);
}

// filterBar is a form of query filters: submitting it navigates to path
// with them (and without a cursor or offset).
export function filterBar(path, query, fields) {
  const inputs = fields.map((f) => {
    const id = `filter-${f.name}`;
    const value = query.get(f.name) || '';
    let input;
    if (f.options) {
      input = h('select', {id, name: f.name},
        h('option', {value: ''}, f.any || 'Any'),
        f.options.map(([v, label]) => h('option', {value: v, selected: v === value}, label)));
    } else if (f.type === 'datetime') {
      input = h('input', {id, name: f.name, type: 'datetime-local', step: '1', value: value ? toLocalInput(value) : ''});
    } else {
      input = h('input', {id, name: f.name, type: 'search', value, placeholder: f.placeholder, spellcheck: 'false'});
    }
    return {f, input, el: h('div', {class: 'field'}, h('label', {for: id}, f.label), input)};
  });
  const form = h('form', {class: 'filters', role: 'search'},
    inputs.map((i) => i.el),
    h('div', {class: 'actions'},
      h('button', {type: 'submit', class: 'primary'}, 'Apply'),
      h('a', {href: href(path, {}), class: 'button'}, 'Clear')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = {};
    for (const {f, input} of inputs) {
      if (!input.value) continue;
      q[f.name] = f.type === 'datetime' ? new Date(input.value).toISOString() : input.value.trim();
    }
    navigate(path, q);
  });
  return form;
}

// toLocalInput turns an ISO time into a datetime-local input's value.
function toLocalInput(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// firstPage loads the first page (100) of a resource listing, for pickers;
// it says whether there are more.
export async function firstPage(api, path, name, signal) {
  const res = await api.get(path, {limit: 100}, {signal});
  return {items: res[name], more: res.has_more};
}

// pickerOptions turns resources into select options.
export function pickerOptions(items) {
  return items.map((r) => [r.id, r.name ? `${r.name} (${r.slug || r.id})` : r.id]);
}

// idLink links a resource ID.
export function idLink(path, id, text) {
  return h('a', {href: href(`${path}/${id}`), class: 'mono'}, text || id);
}

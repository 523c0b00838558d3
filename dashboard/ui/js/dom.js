// DOM building without HTML strings: every text, however untrusted (a
// payload, a header, a name), goes in as a text node or an attribute value,
// never through innerHTML.

// h builds an element: h('a', {href: '#/x', class: 'b'}, 'text', child).
// Attributes starting with "on" take listeners; null and false are skipped;
// true sets an empty attribute. Children may be strings, numbers, nodes,
// arrays of them, or null.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (name === 'value' && 'value' in el) {
      el.value = value;
    } else if (name === 'checked' || name === 'selected' || name === 'disabled') {
      el[name] = Boolean(value);
      if (value) el.setAttribute(name, '');
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

// svg builds an SVG element, as h does.
export function svg(tag, attrs, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== null && value !== undefined && value !== false) el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// replace empties el and fills it with children.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// state is a loading, empty or error box; error boxes are alerts.
export function state(kind, message, ...extra) {
  const role = kind === 'error' ? 'alert' : kind === 'loading' ? 'status' : null;
  return h('div', {class: `state ${kind}`, role}, h('p', {}, message), ...extra);
}

// errorState explains an API error; a 404 of an endpoint the server does
// not serve (yet) says so.
export function errorState(err, what) {
  if (err && err.notServed) {
    return state('error', `${what}: this server does not serve ${err.path} (404).`,
      h('p', {class: 'hint'}, 'It needs a newer hookstream version; the rest of the dashboard works without it.'));
  }
  return state('error', `${what}: ${err && err.message ? err.message : String(err)}`);
}

// time shows an ISO timestamp in the viewer's zone, with UTC on hover.
export function time(iso) {
  if (!iso) return h('span', {class: 'muted'}, '—');
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return h('span', {}, iso);
  return h('time', {datetime: iso, title: `${d.toISOString()} (UTC)`}, formatLocal(d));
}

const localFormat = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
});

export function formatLocal(d) {
  return localFormat.format(d);
}

const numberFormat = new Intl.NumberFormat();
export function num(n) {
  return n === null || n === undefined ? '—' : numberFormat.format(n);
}

// bytes formats a size.
export function bytes(n) {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

// badge shows a status word with a colour that is not its only cue.
export function badge(word, kind) {
  const k = kind || {
    delivered: 'ok', success: 'ok', active: 'ok', closed: 'ok', verified: 'ok', unique: 'neutral', matched: 'ok',
    failed: 'bad', open: 'bad', disabled: 'bad', schema_invalid: 'bad', dlq: 'bad', duplicate: 'warn',
    pending: 'warn', processing: 'warn', paused: 'warn', half_open: 'warn', received: 'neutral', unverified: 'neutral',
  }[word] || 'neutral';
  return h('span', {class: `badge ${k}`}, word === null || word === undefined ? '—' : String(word).replace('_', ' '));
}

// copyButton copies text to the clipboard.
export function copyButton(text, label = 'Copy') {
  const b = h('button', {type: 'button', class: 'small', 'aria-label': `${label}: ${text}`}, label);
  b.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text);
      b.textContent = 'Copied';
    } catch {
      b.textContent = 'Copy failed';
    }
    setTimeout(() => { b.textContent = label; }, 1500);
  });
  return b;
}

// toast shows a short message in the live region.
export function toast(message, kind = 'ok') {
  const box = document.getElementById('toasts');
  const t = h('p', {class: `toast ${kind}`}, message);
  box.append(t);
  setTimeout(() => t.remove(), 5000);
}

// table builds a table from column specs {label, cell(row) → node|string}.
export function table(columns, rows, caption) {
  return h('div', {class: 'table-wrap'},
    h('table', {class: 'stack'},
      caption ? h('caption', {class: 'sr-only'}, caption) : null,
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', {scope: 'col', class: c.class}, c.label)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, columns.map((c) => h('td', {class: c.class, 'data-label': c.label}, c.cell(r))))))));
}

// dl builds a description list from [term, value] pairs.
export function dl(pairs) {
  return h('dl', {class: 'facts'}, pairs.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

// debounce delays fn until calls stop for ms.
export function debounce(fn, ms) {
  let t;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

// parseJSONColumn reads a JSON-encoded column (the API's wire form), or
// null.
export function parseJSONColumn(s) {
  if (s === null || s === undefined || s === '') return null;
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

// confirmDialog asks a yes/no question in a modal dialog.
export function confirmDialog(question, yes = 'Delete') {
  return new Promise((resolve) => {
    const dialog = h('dialog', {class: 'confirm', 'aria-label': question},
      h('form', {method: 'dialog'},
        h('p', {}, question),
        h('div', {class: 'actions'},
          h('button', {value: 'no', type: 'submit'}, 'Cancel'),
          h('button', {value: 'yes', type: 'submit', class: 'danger'}, yes))));
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'yes');
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

// Showing bodies faithfully: JSON pretty-printed (number literals as they
// were where the browser keeps them), form bodies as their text and their
// fields, other text as text, binary as the API sends it (base64) and as
// hex.
import {h} from './dom.js';

const highlightLimit = 100 * 1024;

// jsonText pretty-prints a value parsed by api.parseLossless.
export function jsonText(value) {
  return JSON.stringify(value, null, 2);
}

// jsonView shows a JSON value pretty-printed; small ones highlighted.
export function jsonView(value, label) {
  const text = jsonText(value);
  const pre = h('pre', {class: 'code json', tabindex: '0', 'aria-label': label || 'JSON'});
  if (text === undefined) {
    pre.textContent = 'undefined';
  } else if (text.length > highlightLimit) {
    pre.textContent = text;
  } else {
    highlight(pre, text);
  }
  return pre;
}

// highlight appends the tokens of pretty-printed JSON as spans.
function highlight(pre, text) {
  const re = /("(?:[^"\\]|\\.)*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > last) pre.append(text.slice(last, m.index));
    if (m[1] !== undefined) {
      pre.append(h('span', {class: m[2] ? 'j-key' : 'j-str'}, m[1]));
      if (m[2]) pre.append(m[2]);
    } else if (m[3] !== undefined) {
      pre.append(h('span', {class: 'j-num'}, m[3]));
    } else {
      pre.append(h('span', {class: 'j-lit'}, m[4]));
    }
    last = m.index + m[0].length;
  }
  if (last < text.length) pre.append(text.slice(last));
}

// payloadView shows an event's payload as the event document carries it.
export function payloadView(ev) {
  const p = ev.payload;
  if (ev.payload_encoding === 'base64') {
    const raw = atob(p);
    return h('div', {class: 'payload'},
      h('p', {class: 'hint'}, `Binary body (${raw.length} bytes, not UTF-8): hex below, base64 as the API returns it.`),
      h('pre', {class: 'code', tabindex: '0', 'aria-label': 'Body as hex'}, hexDump(raw)),
      h('details', {}, h('summary', {}, 'Base64'), h('pre', {class: 'code wrap', tabindex: '0'}, p)));
  }
  if (p === null) return h('p', {class: 'muted'}, 'Empty body.');
  if (typeof p !== 'string') return jsonView(p, 'Payload');
  const mediaType = (ev.content_type || '').split(';')[0].trim().toLowerCase();
  if (mediaType === 'application/x-www-form-urlencoded') {
    const rows = [...new URLSearchParams(p)];
    return h('div', {class: 'payload'},
      h('p', {class: 'hint'}, 'Form body: its fields, then the text as received.'),
      h('div', {class: 'table-wrap'}, h('table', {},
        h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Field'), h('th', {scope: 'col'}, 'Value'))),
        h('tbody', {}, rows.map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', {}, v)))))),
      h('pre', {class: 'code wrap', tabindex: '0', 'aria-label': 'Body'}, p));
  }
  return h('div', {class: 'payload'},
    h('p', {class: 'hint'}, `Text body (${mediaType || 'no content type'}).`),
    h('pre', {class: 'code wrap', tabindex: '0', 'aria-label': 'Body'}, p));
}

// hexDump formats bytes (a binary string) 16 a line, at most 4 KiB.
export function hexDump(raw) {
  const lines = [];
  const n = Math.min(raw.length, 4096);
  for (let i = 0; i < n; i += 16) {
    const chunk = raw.slice(i, Math.min(i + 16, n));
    const hex = [...chunk].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join(' ');
    const ascii = [...chunk].map((c) => (c.charCodeAt(0) >= 32 && c.charCodeAt(0) < 127 ? c : '.')).join('');
    lines.push(`${i.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  if (raw.length > n) lines.push(`… ${raw.length - n} more bytes`);
  return lines.join('\n');
}

// headersView shows a JSON-encoded header map (the API's wire form).
export function headersView(encoded, label) {
  let obj = null;
  try {
    obj = encoded ? JSON.parse(encoded) : null;
  } catch {
    return h('pre', {class: 'code wrap'}, encoded);
  }
  if (!obj || Object.keys(obj).length === 0) return h('p', {class: 'muted'}, 'None.');
  return h('div', {class: 'table-wrap'}, h('table', {class: 'headers'},
    h('caption', {class: 'sr-only'}, label || 'Headers'),
    h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Name'), h('th', {scope: 'col'}, 'Value'))),
    h('tbody', {}, Object.entries(obj).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) =>
      h('tr', {}, h('td', {class: 'mono'}, k), h('td', {class: 'mono wrap'}, Array.isArray(v) ? v.join(', ') : String(v)))))));
}

// bodyText shows a response body (text as it came, JSON pretty-printed).
export function bodyText(text, label) {
  if (text === null || text === undefined || text === '') return h('p', {class: 'muted'}, 'Empty.');
  try {
    const v = JSON.parse(text);
    if (typeof v === 'object' && v !== null) return jsonView(v, label);
  } catch {
    // not JSON: shown as text
  }
  return h('pre', {class: 'code wrap', tabindex: '0', 'aria-label': label}, text);
}

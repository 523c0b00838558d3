// The playground: a connection's or subscription's filter rules and
// JSONata transform, tried on a real stored event (or a pasted payload) at
// each keystroke through the dry-run endpoints, and saved back.
import {h, replace, state, errorState, badge, toast, debounce, parseJSONColumn} from '../dom.js';
import {parseLossless} from '../api.js';
import {href, navigate, queryObject} from '../router.js';
import {jsonText, jsonView} from '../payload.js';
import {header} from './common.js';

const ops = ['eq', 'neq', 'contains', 'gt', 'gte', 'lt', 'lte', 'exists', 'in'];

export async function playground(ctx) {
  const {api, root, query, signal} = ctx;
  root.append(header('Playground'),
    h('p', {class: 'hint'}, 'Edit a route\'s filter rules and transform and see, at each keystroke, what the dry run says of a real event: nothing is stored or delivered until you save.'));
  const picker = h('div', {class: 'route-picker'}, state('loading', 'Loading routes…'));
  root.append(picker);

  let target;
  try {
    target = await loadTarget(api, query, signal);
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    replace(picker, errorState(err, 'The route could not be loaded'));
    return;
  }
  replace(picker, await routePicker(api, query, target, signal));
  if (!target) return;
  await editor(ctx, target);
}

// loadTarget loads the connection or subscription the URL names.
async function loadTarget(api, query, signal) {
  if (query.get('connection')) {
    const c = (await api.get(`/connections/${encodeURIComponent(query.get('connection'))}`, {}, {signal})).connection;
    return {kind: 'connection', item: c, testPath: `/connections/${c.id}/test`, savePath: `/connections/${c.id}`,
      events: {source_id: c.source_id}, label: `${c.name} (${c.source_name || c.source_id} → ${c.destination_name || c.destination_id})`};
  }
  if (query.get('topic') && query.get('subscription')) {
    const res = await api.get(`/topics/${encodeURIComponent(query.get('topic'))}`, {}, {signal});
    const s = (res.subscriptions || []).find((x) => x.id === query.get('subscription'));
    if (!s) throw new Error('no such subscription on this topic');
    return {kind: 'subscription', item: s, topic: res.topic, testPath: `/topics/${res.topic.id}/subscriptions/${s.id}/test`,
      savePath: `/topics/${res.topic.id}/subscriptions/${s.id}`, events: {topic: res.topic.slug},
      label: `${res.topic.name} → ${s.destination_name || s.destination_id}`};
  }
  return null;
}

// routePicker chooses the connection or subscription to work on.
async function routePicker(api, query, target, signal) {
  const q = queryObject(query);
  let options = [];
  if (q.topic) {
    const res = await api.get(`/topics/${encodeURIComponent(q.topic)}`, {}, {signal});
    options = (res.subscriptions || []).map((s) => [href('/playground', {topic: res.topic.id, subscription: s.id, event: q.event}),
      `Subscription: ${res.topic.name} → ${s.destination_name || s.destination_id}`, s.id === q.subscription]);
  } else {
    const res = await api.get('/connections', {limit: 100, source_id: q.source || (target && target.item.source_id)}, {signal});
    options = res.connections.map((c) => [href('/playground', {connection: c.id, event: q.event}),
      `Connection: ${c.name} (${c.source_name || c.source_id} → ${c.destination_name || c.destination_id})`, c.id === q.connection]);
    if (!target && options.length === 1) {
      navigate('/playground', {connection: res.connections[0].id, event: q.event}, true);
      return h('p', {}, 'Opening…');
    }
  }
  if (options.length === 0) {
    return state('empty', q.topic ? 'This topic has no subscriptions.' : 'No connection to try: create one first.',
      h('p', {}, h('a', {href: href('/connections/new')}, 'New connection')));
  }
  const select = h('select', {id: 'pg-route'},
    target ? null : h('option', {value: ''}, 'Choose a route'),
    options.map(([value, label, selected]) => h('option', {value, selected}, label)));
  select.addEventListener('change', () => { if (select.value) location.hash = select.value; });
  return h('div', {class: 'field'}, h('label', {for: 'pg-route'}, 'Route'), select);
}

async function editor(ctx, target) {
  const {api, root, query, signal} = ctx;
  const item = target.item;
  let sourceIP = ''; // the sample event's client address
  const rules = (parseJSONColumn(item.filter_rules) || []).map((r) => ({field: r.field, op: r.op || r.operator, value: r.value}));

  // The sample event.
  const eventSelect = h('select', {id: 'pg-event'}, h('option', {value: ''}, 'Loading events…'));
  const payloadInput = h('textarea', {id: 'pg-payload', rows: 12, class: 'mono', spellcheck: 'false', 'aria-describedby': 'pg-payload-err'});
  const payloadErr = h('p', {class: 'field-error', id: 'pg-payload-err', hidden: true});
  const contentType = h('input', {id: 'pg-ct', type: 'text', value: 'application/json', spellcheck: 'false'});
  const method = h('select', {id: 'pg-method'}, ['POST', 'PUT', 'PATCH', 'GET', 'DELETE'].map((m) => h('option', {value: m}, m)));
  const headersInput = h('textarea', {id: 'pg-headers', rows: 3, class: 'mono', spellcheck: 'false', 'aria-describedby': 'pg-headers-err'});
  headersInput.value = '{}';
  const headersErr = h('p', {class: 'field-error', id: 'pg-headers-err', hidden: true});
  const binaryNote = h('p', {class: 'hint', hidden: true});
  const paths = h('datalist', {id: 'pg-paths'});

  // The route's rules and transform.
  const rulesBox = h('div', {class: 'rules'});
  const rulesErr = h('p', {class: 'field-error', role: 'alert', hidden: true});
  const transformOn = h('input', {type: 'checkbox', id: 'pg-transform-on', checked: target.kind === 'connection' ? item.transform_enabled === 1 : true});
  const expression = h('textarea', {id: 'pg-expr', rows: 6, class: 'mono', spellcheck: 'false', 'aria-describedby': 'pg-expr-err'});
  expression.value = item.transform_expression || '';
  const exprErr = h('p', {class: 'field-error', id: 'pg-expr-err', hidden: true});

  // The verdict.
  const verdict = h('div', {class: 'verdict', 'aria-live': 'polite'}, state('empty', 'Pick an event or paste a payload.'));
  const saveButton = h('button', {type: 'button', class: 'primary'}, `Save to the ${target.kind}`);
  const dirty = h('span', {class: 'muted', hidden: true}, 'Unsaved changes');

  const ruleRows = [];
  function addRuleRow(rule) {
    const n = ruleRows.length;
    const field = h('input', {type: 'text', value: rule.field || '', list: 'pg-paths', spellcheck: 'false', 'aria-label': `Rule ${n + 1} field`, placeholder: 'payload.type'});
    const op = h('select', {'aria-label': `Rule ${n + 1} operator`}, ops.map((o) => h('option', {value: o, selected: o === (rule.op || 'eq')}, o)));
    const value = h('input', {type: 'text', value: valueText(rule.value), spellcheck: 'false', 'aria-label': `Rule ${n + 1} value`,
      placeholder: '"paid", 5, true, ["a","b"]'});
    const outcome = h('span', {class: 'rule-outcome', 'aria-live': 'polite'});
    const err = h('p', {class: 'field-error', hidden: true});
    const row = {field, op, value, outcome, err};
    const remove = h('button', {type: 'button', class: 'small', 'aria-label': `Remove rule ${n + 1}`, onclick: () => {
      ruleRows.splice(ruleRows.indexOf(row), 1);
      row.el.remove();
      changed();
    }}, 'Remove');
    row.el = h('div', {class: 'rule'}, h('div', {class: 'rule-inputs'}, field, op, value, remove), outcome, err);
    for (const i of [field, op, value]) i.addEventListener('input', changed);
    ruleRows.push(row);
    rulesBox.append(row.el);
  }
  rules.forEach(addRuleRow);
  const addRule = h('button', {type: 'button', class: 'small', onclick: () => {
    addRuleRow({});
    ruleRows.at(-1).field.focus();
    changed();
  }}, 'Add a rule');

  function currentRules() {
    return ruleRows.map((r) => {
      const rule = {field: r.field.value.trim(), op: r.op.value};
      const v = parseValue(r.value.value);
      if (v !== undefined) rule.value = v;
      return rule;
    });
  }

  const saved = JSON.stringify({rules: currentRules(), on: transformOn.checked, expr: expression.value});
  function isDirty() {
    return JSON.stringify({rules: currentRules(), on: transformOn.checked, expr: expression.value}) !== saved;
  }

  // The dry run, debounced; a newer one replaces one in flight.
  let seq = 0;
  let inflight = null;
  const run = debounce(async () => {
    const my = ++seq;
    if (inflight) inflight.abort();
    for (const e of [payloadErr, headersErr, exprErr, rulesErr]) e.hidden = true;
    for (const r of ruleRows) { r.err.hidden = true; r.field.removeAttribute('aria-invalid'); }
    const body = requestBody();
    if (!body) return;
    inflight = new AbortController();
    signal.addEventListener('abort', () => inflight && inflight.abort(), {once: true});
    verdict.setAttribute('aria-busy', 'true');
    try {
      const res = await api.request('POST', target.testPath, {body, signal: inflight.signal, lossless: true});
      if (my !== seq) return;
      showVerdict(res);
    } catch (err) {
      if (err.name === 'AbortError' || my !== seq) return;
      showRequestError(err);
    } finally {
      if (my === seq) verdict.removeAttribute('aria-busy');
    }
  }, 250);

  // requestBody writes the dry run's body by hand so the payload's JSON
  // goes as typed (number literals included); null when it cannot be read.
  function requestBody() {
    const text = payloadInput.value;
    const isJSON = /json/i.test(contentType.value) || contentType.value.trim() === '';
    let payload;
    if (isJSON) {
      try {
        JSON.parse(text);
        payload = text;
      } catch (e) {
        payloadErr.textContent = `The payload is not valid JSON (${e.message}); set a non-JSON content type to send text.`;
        payloadErr.hidden = false;
        replace(verdict, state('error', 'Fix the payload to run the rules.'));
        return null;
      }
    } else {
      payload = JSON.stringify(text);
    }
    let headers;
    try {
      headers = JSON.parse(headersInput.value || '{}');
    } catch (e) {
      headersErr.textContent = `The headers are not a JSON object (${e.message}).`;
      headersErr.hidden = false;
      return null;
    }
    const rest = {headers, method: method.value, content_type: contentType.value || 'application/json', filter_rules: currentRules(),
      transform_expression: expression.value};
    if (target.kind === 'connection') rest.transform_enabled = transformOn.checked;
    if (rest.transform_enabled === true && rest.transform_expression === '') rest.transform_enabled = false;
    if (sourceIP) rest.source_ip = sourceIP;
    return `{"payload":${payload},${JSON.stringify(rest).slice(1)}`;
  }

  function showVerdict(res) {
    res.rules.forEach((r, i) => {
      const row = ruleRows[i];
      if (!row) return;
      replace(row.outcome, badge(r.matched ? 'matched' : 'no match', r.matched ? 'ok' : 'bad'), ' observed ',
        h('code', {}, r.observed === null || r.observed === undefined ? '(missing)' : jsonText(r.observed)));
    });
    const parts = [h('p', {class: 'verdict-head'}, res.matched ? badge('matches: would be delivered', 'ok') : badge('does not match: not delivered', 'bad'))];
    if (res.transform_error) {
      parts.push(h('h3', {}, 'Transform error'), h('pre', {class: 'code error-text wrap'}, res.transform_error));
    } else if (res.transformed !== null && res.transformed !== undefined) {
      parts.push(h('h3', {}, 'Body the destination would receive'), jsonView(res.transformed, 'Transformed body'));
    } else if (res.matched) {
      parts.push(h('p', {class: 'muted'}, 'No transform: the original body is delivered.'));
    }
    replace(verdict, parts);
  }

  function showRequestError(err) {
    const m = /'filter_rules\[(\d+)\]/.exec(err.message);
    if (m && ruleRows[Number(m[1])]) {
      const row = ruleRows[Number(m[1])];
      row.err.textContent = err.message;
      row.err.hidden = false;
      row.field.setAttribute('aria-invalid', 'true');
      replace(row.outcome);
    } else if (err.field === 'transform_expression' || err.field === 'transform_enabled') {
      exprErr.textContent = err.message;
      exprErr.hidden = false;
    } else if (err.field === 'filter_rules') {
      rulesErr.textContent = err.message;
      rulesErr.hidden = false;
    } else if (err.field === 'payload' || err.field === 'headers' || err.field === 'content_type' || err.field === 'method') {
      payloadErr.textContent = err.message;
      payloadErr.hidden = false;
    }
    replace(verdict, errorState(err, 'The dry run refused this'));
  }

  function changed() {
    dirty.hidden = !isDirty();
    run();
  }

  for (const i of [payloadInput, contentType, headersInput, expression]) i.addEventListener('input', changed);
  for (const i of [method, transformOn]) i.addEventListener('change', changed);

  saveButton.addEventListener('click', async () => {
    const body = {filter_rules: currentRules(), transform_expression: expression.value};
    if (target.kind === 'connection') body.transform_enabled = transformOn.checked;
    saveButton.disabled = true;
    try {
      await api.patch(target.savePath, body);
      toast(`Saved the ${target.kind}'s rules and transform`);
      navigate('/playground', queryObject(query), true);
    } catch (err) {
      showRequestError(err);
      toast(`Not saved: ${err.message}`, 'bad');
    } finally {
      saveButton.disabled = false;
    }
  });

  async function useEvent(id) {
    binaryNote.hidden = true;
    let ev;
    try {
      ev = (await api.get(`/events/${encodeURIComponent(id)}`, {}, {signal, lossless: true})).event;
    } catch (err) {
      if (err.name === 'AbortError') throw err;
      replace(verdict, errorState(err, 'The event could not be loaded'));
      return;
    }
    if (ev.payload_encoding === 'base64') {
      binaryNote.textContent = 'This event\'s body is binary: a dry run takes text or JSON, so only its headers and request fields are tried; the payload below is empty.';
      binaryNote.hidden = false;
      payloadInput.value = '';
      contentType.value = 'text/plain';
    } else {
      payloadInput.value = typeof ev.payload === 'string' ? ev.payload : ev.payload === null ? 'null' : jsonText(ev.payload);
      contentType.value = ev.content_type || 'application/json';
    }
    method.value = ev.method;
    const hdrs = parseJSONColumn(ev.headers) || {};
    headersInput.value = JSON.stringify(hdrs, null, 2);
    sourceIP = ev.source_ip || '';
    suggestPaths(paths, ev.payload, hdrs);
    run();
  }

  eventSelect.addEventListener('change', () => {
    if (!eventSelect.value) return;
    navigate('/playground', {...queryObject(query), event: eventSelect.value}, true);
  });

  root.append(h('div', {class: 'playground'},
    h('section', {class: 'pg-event', 'aria-labelledby': 'pg-event-h'},
      h('h2', {id: 'pg-event-h'}, 'Sample event'),
      h('div', {class: 'field'}, h('label', {for: 'pg-event'}, `A stored event of this ${target.kind === 'connection' ? 'source' : 'topic'}`), eventSelect),
      binaryNote,
      h('div', {class: 'field'}, h('label', {for: 'pg-payload'}, 'Payload (edit it, or paste your own)'), payloadInput, payloadErr),
      h('div', {class: 'field-row'},
        h('div', {class: 'field'}, h('label', {for: 'pg-method'}, 'Method'), method),
        h('div', {class: 'field'}, h('label', {for: 'pg-ct'}, 'Content type'), contentType)),
      h('details', {}, h('summary', {}, 'Headers'),
        h('div', {class: 'field'}, h('label', {for: 'pg-headers'}, 'Headers (a JSON object)'), headersInput, headersErr))),
    h('section', {class: 'pg-route', 'aria-labelledby': 'pg-route-h'},
      h('h2', {id: 'pg-route-h'}, target.label),
      h('h3', {}, 'Filter rules'),
      h('p', {class: 'hint'}, 'All must match. Values are JSON ("paid", 5, true, ["a","b"]); a bare word is a string. Fields: payload.<path>, headers.<name>, method, content_type, source_ip', target.kind === 'subscription' ? ', topic' : '', '.'),
      rulesBox, rulesErr, addRule, paths,
      h('h3', {}, 'Transform'),
      target.kind === 'connection' ? h('div', {class: 'field check'}, transformOn, h('label', {for: 'pg-transform-on'}, 'Transform the body')) : null,
      h('div', {class: 'field'}, h('label', {for: 'pg-expr'}, 'JSONata expression'), expression, exprErr),
      h('div', {class: 'actions'}, saveButton, dirty)),
    h('section', {class: 'pg-verdict', 'aria-labelledby': 'pg-verdict-h'},
      h('h2', {id: 'pg-verdict-h'}, 'Dry run'), verdict)));

  // The route's recent events, newest first.
  try {
    const res = await api.get('/events', {...target.events, limit: 20}, {signal});
    replace(eventSelect,
      h('option', {value: ''}, res.events.length ? 'Choose an event' : 'No stored events: paste a payload'),
      res.events.map((e) => h('option', {value: e.id, selected: e.id === query.get('event')},
        `${new Date(e.received_at).toLocaleString()} · ${e.method} · ${e.status} · ${e.id}`)));
    if (query.get('event') && !res.events.some((e) => e.id === query.get('event'))) {
      eventSelect.append(h('option', {value: query.get('event'), selected: true}, query.get('event')));
    }
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    replace(eventSelect, h('option', {value: ''}, `Events could not be loaded: ${err.message}`));
  }
  if (query.get('event')) await useEvent(query.get('event'));
  else {
    payloadInput.value = '{\n  "type": "example"\n}';
    run();
  }
}

// valueText shows a rule value for editing: strings bare unless they
// would read as another JSON value.
function valueText(v) {
  if (v === undefined) return '';
  if (typeof v === 'string') {
    try {
      JSON.parse(v);
      return JSON.stringify(v);
    } catch {
      return v;
    }
  }
  return JSON.stringify(v);
}

// parseValue reads a rule value: JSON, else the text as a string;
// undefined when empty.
function parseValue(s) {
  if (s.trim() === '') return undefined;
  try {
    return parseLossless(s);
  } catch {
    return s;
  }
}

// suggestPaths offers the payload's field paths (and the headers) for the
// rules' field inputs.
function suggestPaths(list, payload, headers) {
  const out = ['method', 'content_type', 'source_ip'];
  for (const k of Object.keys(headers)) out.push(`headers.${k.toLowerCase()}`);
  const walk = (v, path, depth) => {
    if (out.length > 300 || depth > 6 || v === null || typeof v !== 'object' || JSON.isRawJSON?.(v)) return;
    const entries = Array.isArray(v) ? v.slice(0, 3).map((x, i) => [String(i), x]) : Object.entries(v);
    for (const [k, x] of entries) {
      const p = `${path}.${k.replaceAll('.', '\\.')}`;
      out.push(p);
      walk(x, p, depth + 1);
    }
  };
  walk(payload, 'payload', 0);
  replace(list, out.map((p) => h('option', {value: p})));
}

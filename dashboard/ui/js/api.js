// The REST API client: the only way the dashboard reads or changes
// anything.

const keyName = 'hookstream.apiKey';

// APIError is an error answer of the API.
export class APIError extends Error {
  constructor(status, message, path, requestID) {
    super(message);
    this.status = status;
    this.path = path;
    this.requestID = requestID;
    // notServed: the server answered the generic 404 of a path it does
    // not route (an endpoint of a newer version).
    this.notServed = status === 404 && message === 'Not found';
    // field is the request field the message names ("Invalid body:
    // 'slug' must …").
    const m = /'([a-z_]+)(?:\[(\d+)\])?[^']*'/.exec(message);
    this.field = m ? m[1] : null;
  }
}

// The JSON of event payloads keeps number literals a JavaScript number
// would change (big integers, 1.0) where the browser can: JSON.parse with
// source text access, and JSON.rawJSON to send them back unchanged.
const losslessNumbers = typeof JSON.rawJSON === 'function';
function keepNumberText(key, value, context) {
  if (typeof value === 'number' && context && typeof context.source === 'string' && context.source !== String(value)) {
    return JSON.rawJSON(context.source);
  }
  return value;
}

export function parseLossless(text) {
  return losslessNumbers ? JSON.parse(text, keepNumberText) : JSON.parse(text);
}

export class API {
  constructor(base) {
    this.base = base.replace(/\/$/, '');
    this.key = sessionStorage.getItem(keyName) || '';
  }

  signIn(key) {
    this.key = key;
    sessionStorage.setItem(keyName, key);
  }

  signOut() {
    this.key = '';
    sessionStorage.removeItem(keyName);
  }

  // request calls the API: query is an object of parameters (empty ones
  // are left out), body a value to send as JSON (or a string of JSON).
  async request(method, path, {query, body, signal, lossless} = {}) {
    const url = new URL(this.base + path, location.href);
    for (const [k, v] of Object.entries(query || {})) {
      if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
    }
    const headers = {Accept: 'application/json'};
    if (this.key) headers['X-API-Key'] = this.key;
    let payload;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(url, {method, headers, body: payload, signal, credentials: 'same-origin'});
    } catch (err) {
      if (err.name === 'AbortError') throw err;
      throw new APIError(0, `the server could not be reached (${err.message})`, path, null);
    }
    const text = await res.text();
    let data = null;
    try {
      data = text ? (lossless ? parseLossless(text) : JSON.parse(text)) : null;
    } catch {
      data = null;
    }
    if (!res.ok) {
      const message = data && typeof data.error === 'string' ? data.error : `HTTP ${res.status}`;
      throw new APIError(res.status, message, `${method} ${this.base}${path}`, res.headers.get('X-Request-Id'));
    }
    return data;
  }

  get(path, query, opts) { return this.request('GET', path, {query, ...opts}); }
  post(path, body, opts) { return this.request('POST', path, {body: body === undefined ? {} : body, ...opts}); }
  patch(path, body) { return this.request('PATCH', path, {body}); }
  del(path) { return this.request('DELETE', path); }

  // websocketURL is the live feed's address, with the key as ?token=
  // (browsers cannot set headers on a WebSocket).
  websocketURL() {
    const url = new URL(this.base + '/ws', location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    if (this.key) url.searchParams.set('token', this.key);
    return url.toString();
  }
}

// all runs fn over items with at most limit calls in flight.
export async function all(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = {ok: true, value: await fn(items[i], i)};
      } catch (err) {
        out[i] = {ok: false, error: err};
      }
    }
  }
  await Promise.all(Array.from({length: Math.min(limit, items.length)}, worker));
  return out;
}

// Hash routing: #/events/evt_…?status=failed. Every view's state that is
// worth sharing (filters, the page, the selected event) is in the URL, so
// a URL can be bookmarked and sent; hash routes need nothing of the server
// whatever prefix the dashboard is mounted under.

// href builds a route's link: href('/events', {status: 'failed'}).
export function href(path, query) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '' && v !== false) q.set(k, v);
  }
  const s = q.toString();
  return '#' + path + (s ? '?' + s : '');
}

// current parses location.hash.
export function current() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, qs] = raw.split('?');
  return {
    path,
    segments: path.split('/').filter(Boolean).map(decodeURIComponent),
    query: new URLSearchParams(qs || ''),
  };
}

// navigate goes to a route (a new history entry, unless replace).
export function navigate(path, query, replace = false) {
  const target = href(path, query);
  if (replace) {
    history.replaceState(null, '', target);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    location.hash = target;
  }
}

// queryObject turns URLSearchParams into a plain object.
export function queryObject(q) {
  return Object.fromEntries(q.entries());
}

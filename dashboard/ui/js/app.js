// The dashboard's entry: the session (an API key in this tab's session
// storage, or the embedder's own authentication), the shell, and the
// routes.
import {API, APIError} from './api.js';
import {h, replace, state} from './dom.js';
import {current} from './router.js';
import {overview} from './views/overview.js';
import {eventList, eventPage} from './views/events.js';
import {deadLetters} from './views/deadletters.js';
import {liveTail} from './views/live.js';
import {sources} from './views/sources.js';
import {destinations} from './views/destinations.js';
import {connections} from './views/connections.js';
import {topics} from './views/topics.js';
import {playground} from './views/playground.js';

const api = new API(document.querySelector('meta[name="hookstream-api"]').content);
const main = document.getElementById('main');
const nav = document.getElementById('nav');
const menu = document.getElementById('menu-toggle');
const sessionBox = document.getElementById('session');

// session: 'key' (signed in with a key), 'app' (the embedder's
// authenticator accepted the request without one), or null.
let session = null;
let leaving = [];
let controller = null;
let firstRender = true;

const routes = [
  {match: [], title: 'Overview', nav: '#/', view: overview},
  {match: ['events'], title: 'Events', nav: '#/events', view: eventList},
  {match: ['events', ':id'], title: 'Event', nav: '#/events', view: eventPage},
  {match: ['dead-letters'], title: 'Dead letters', nav: '#/dead-letters', view: deadLetters},
  {match: ['live'], title: 'Live tail', nav: '#/live', view: liveTail},
  {match: ['sources', '*'], title: 'Sources', nav: '#/sources', view: sources},
  {match: ['destinations', '*'], title: 'Destinations', nav: '#/destinations', view: destinations},
  {match: ['connections', '*'], title: 'Connections', nav: '#/connections', view: connections},
  {match: ['topics', '*'], title: 'Topics', nav: '#/topics', view: topics},
  {match: ['playground'], title: 'Playground', nav: '#/playground', view: playground},
];

function findRoute(segments) {
  for (const r of routes) {
    if (r.match.at(-1) === '*') {
      if (segments[0] === r.match[0]) return r;
      continue;
    }
    if (r.match.length !== segments.length) continue;
    if (r.match.every((m, i) => m.startsWith(':') || m === segments[i])) return r;
  }
  return null;
}

async function render() {
  for (const fn of leaving) fn();
  leaving = [];
  if (controller) controller.abort();
  controller = new AbortController();
  if (!session) {
    signInView();
    return;
  }
  const loc = current();
  const route = findRoute(loc.segments);
  for (const a of nav.querySelectorAll('a')) {
    if (route && a.getAttribute('href') === route.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  closeMenu();
  if (!firstRender) main.focus({preventScroll: true});
  firstRender = false;
  if (!route) {
    document.title = 'Not found · hookstream';
    replace(main, h('h1', {}, 'Not found'), state('empty', 'This dashboard has no such page.', h('p', {}, h('a', {href: '#/'}, 'Go to the overview'))));
    return;
  }
  document.title = `${route.title} · hookstream`;
  const root = h('div', {class: 'view'});
  replace(main, root);
  const ctx = {
    api, root, segments: loc.segments, query: loc.query, signal: controller.signal,
    setTitle: (t) => { document.title = `${t} · hookstream`; },
    onLeave: (fn) => leaving.push(fn),
  };
  try {
    await route.view(ctx);
  } catch (err) {
    if (err.name === 'AbortError') return;
    if (err instanceof APIError && err.status === 401 && session === 'key') {
      api.signOut();
      session = null;
      signInView('Your API key was refused; sign in again.');
      return;
    }
    root.append(state('error', `Something went wrong: ${err.message}`));
  }
}

function showShell(on) {
  nav.hidden = !on;
  menu.hidden = !on;
  sessionBox.replaceChildren();
  if (!on) return;
  const who = session === 'key' ? `Key ${api.key.slice(0, 12)}…` : 'Signed in by your application';
  sessionBox.append(h('span', {class: 'who'}, who));
  if (session === 'key') {
    sessionBox.append(h('button', {type: 'button', class: 'small', onclick: () => {
      api.signOut();
      session = null;
      showShell(false);
      render();
    }}, 'Sign out'));
  }
}

function signInView(message) {
  showShell(false);
  document.title = 'Sign in · hookstream';
  const input = h('input', {id: 'api-key', name: 'api-key', type: 'password', autocomplete: 'off', spellcheck: 'false',
    required: true, 'aria-describedby': 'api-key-hint api-key-err', placeholder: 'hs_live_…'});
  const err = h('p', {class: 'field-error', id: 'api-key-err', role: 'alert', hidden: !message}, message || '');
  const button = h('button', {type: 'submit', class: 'primary'}, 'Sign in');
  const f = h('form', {class: 'signin', novalidate: true},
    h('h1', {}, 'Sign in'),
    h('div', {class: 'field'},
      h('label', {for: 'api-key'}, 'API key'), input,
      h('p', {class: 'hint', id: 'api-key-hint'}, 'Kept for this browser tab only (session storage), sent to this server\'s API as X-API-Key. You see what the key may see.'),
      err),
    h('div', {class: 'actions'}, button));
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    const key = input.value.trim();
    if (!key) {
      err.textContent = 'Enter an API key.';
      err.hidden = false;
      return;
    }
    button.disabled = true;
    api.signIn(key);
    try {
      await api.get('/sources', {limit: 1});
      session = 'key';
      showShell(true);
      render();
    } catch (problem) {
      api.signOut();
      err.textContent = problem.status === 401 ? `That key was refused: ${problem.message}.` : problem.message;
      err.hidden = false;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    } finally {
      button.disabled = false;
    }
  });
  replace(main, f);
  input.focus();
}

function closeMenu() {
  document.body.classList.remove('menu-open');
  menu.setAttribute('aria-expanded', 'false');
}

menu.addEventListener('click', () => {
  const open = !document.body.classList.contains('menu-open');
  document.body.classList.toggle('menu-open', open);
  menu.setAttribute('aria-expanded', String(open));
});
document.getElementById('skip').addEventListener('click', (e) => {
  e.preventDefault();
  main.focus();
});

async function start() {
  try {
    await api.get('/sources', {limit: 1});
    session = api.key ? 'key' : 'app';
  } catch (err) {
    if (api.key && err.status === 401) api.signOut();
    session = null;
    if (!(err instanceof APIError) || (err.status !== 401 && err.status !== 0)) {
      replace(main, state('error', `The API at ${api.base} answered: ${err.message}`));
      return;
    }
  }
  showShell(Boolean(session));
  window.addEventListener('hashchange', render);
  render();
}

start();

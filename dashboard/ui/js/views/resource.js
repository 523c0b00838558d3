// A configuration resource's views: its list (paged by cursor), its create
// form and its page (details, edit form, delete). Sources, destinations,
// connections and topics are described to it by a spec.
import {h, replace, state, errorState, table, toast, confirmDialog} from '../dom.js';
import {href, navigate} from '../router.js';
import {form} from '../forms.js';
import {header, cursorPager} from './common.js';

// spec: {path: '/sources', one: 'source', many: 'sources', title, noun,
// fields(ctx, item) → field specs, columns(ctx, reload) → table columns,
// listQuery(query) → extra list parameters, listFilters(ctx) → node,
// details(ctx, item) → nodes above the edit form, empty: message}.
export function resourceView(spec) {
  return async (ctx) => {
    const [, id] = ctx.segments;
    if (!id) return listView(spec, ctx);
    if (id === 'new') return createView(spec, ctx);
    return itemView(spec, ctx, id);
  };
}

async function listView(spec, ctx) {
  const {api, root, query, signal} = ctx;
  const list = h('div', {}, state('loading', `Loading ${spec.many}…`));
  root.append(header(spec.title, h('a', {class: 'button primary', href: href(`${spec.path}/new`, spec.newQuery ? spec.newQuery(query) : {})}, `New ${spec.noun}`)));
  if (spec.listFilters) root.append(await spec.listFilters(ctx));
  root.append(list);
  const load = async () => {
    let res;
    try {
      res = await api.get(spec.path, {limit: 20, cursor: query.get('cursor'), ...(spec.listQuery ? spec.listQuery(query) : {})}, {signal});
    } catch (err) {
      if (err.name === 'AbortError') throw err;
      replace(list, errorState(err, `The ${spec.many} could not be loaded`));
      return;
    }
    const items = res[spec.many];
    if (items.length === 0) {
      replace(list, state('empty', query.get('cursor') ? `No more ${spec.many}.` : spec.empty));
      return;
    }
    replace(list, table(spec.columns(ctx, load), items, spec.title), cursorPager(spec.path, query, res.cursor));
    if (spec.afterList) spec.afterList(ctx, items, list);
  };
  await load();
}

async function createView(spec, ctx) {
  const {api, root} = ctx;
  root.append(header(`New ${spec.noun}`));
  const fields = await spec.fields(ctx, null);
  const f = form({
    fields,
    onSubmit: async (values) => {
      const body = spec.toBody ? spec.toBody(values, null) : values;
      const created = (await api.post(spec.path, body))[spec.one];
      toast(`Created ${spec.noun} ${created.name || created.id}`);
      navigate(`${spec.path}/${created.id}`);
    },
    onCancel: () => history.back(),
  });
  root.append(f.el);
  const first = f.el.querySelector('input:not([disabled]), select, textarea');
  if (first) first.focus();
}

async function itemView(spec, ctx, id) {
  const {api, root, signal, setTitle} = ctx;
  root.append(state('loading', `Loading the ${spec.noun}…`));
  let res;
  try {
    res = await api.get(`${spec.path}/${encodeURIComponent(id)}`, {}, {signal});
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    replace(root, header(spec.title), errorState(err, `The ${spec.noun} could not be loaded`));
    return;
  }
  const item = res[spec.one];
  setTitle(`${item.name || item.id} · ${spec.title}`);
  const del = h('button', {type: 'button', class: 'danger'}, 'Delete');
  del.addEventListener('click', async () => {
    if (!(await confirmDialog(`Delete the ${spec.noun} “${item.name || item.id}”?`))) return;
    try {
      await api.del(`${spec.path}/${item.id}`);
      toast(`Deleted ${spec.noun} ${item.name || item.id}`);
      navigate(spec.path);
    } catch (err) {
      toast(`Delete failed: ${err.message}`, 'bad');
    }
  });
  const fields = await spec.fields(ctx, item);
  const f = form({
    fields, initial: item,
    onSubmit: async (values) => {
      if (Object.keys(values).length === 0) {
        toast('Nothing changed');
        return;
      }
      const body = spec.toBody ? spec.toBody(values, item) : values;
      await api.patch(`${spec.path}/${item.id}`, body);
      toast(`Saved ${spec.noun} ${item.name || item.id}`);
      navigate(`${spec.path}/${item.id}`, {}, true);
    },
  });
  replace(root,
    header(item.name || item.id, ...(spec.itemActions ? spec.itemActions(ctx, item) : []), del),
    h('p', {class: 'mono id'}, item.id),
    spec.details ? await spec.details(ctx, item, res) : null,
    h('section', {'aria-labelledby': 'edit-h'}, h('h2', {id: 'edit-h'}, `Edit`), f.el));
}

// statusToggle pauses or resumes a resource with PATCH status.
export function statusToggle(api, path, item, reload) {
  const paused = item.status === 'paused';
  return h('button', {type: 'button', class: 'small', onclick: async (e) => {
    e.target.disabled = true;
    try {
      await api.patch(`${path}/${item.id}`, {status: paused ? 'active' : 'paused'});
      toast(`${item.name || item.id} ${paused ? 'resumed' : 'paused'}`);
      reload();
    } catch (err) {
      toast(`Failed: ${err.message}`, 'bad');
      e.target.disabled = false;
    }
  }}, paused ? 'Resume' : 'Pause');
}

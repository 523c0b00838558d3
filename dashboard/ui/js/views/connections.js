// Connections: a source's events to a destination, through filter rules
// and a JSONata transform.
import {h, time, badge, num, dl, parseJSONColumn} from '../dom.js';
import {href} from '../router.js';
import {jsonView} from '../payload.js';
import {resourceView, statusToggle} from './resource.js';
import {filterBar, firstPage, pickerOptions} from './common.js';

export const connections = resourceView({
  path: '/connections', one: 'connection', many: 'connections', title: 'Connections', noun: 'connection',
  empty: 'No connections yet: connect a source to a destination.',
  listQuery: (q) => ({source_id: q.get('source_id'), destination_id: q.get('destination_id')}),
  newQuery: (q) => ({source_id: q.get('source_id'), destination_id: q.get('destination_id')}),
  listFilters: async ({api, query, signal}) => {
    const [srcs, dsts] = await Promise.all([
      firstPage(api, '/sources', 'sources', signal).catch(() => ({items: []})),
      firstPage(api, '/destinations', 'destinations', signal).catch(() => ({items: []})),
    ]);
    return filterBar('/connections', query, [
      {name: 'source_id', label: 'Source', options: pickerOptions(srcs.items)},
      {name: 'destination_id', label: 'Destination', options: pickerOptions(dsts.items)},
    ]);
  },
  columns: ({api}, reload) => [
    {label: 'Name', cell: (c) => h('a', {href: href(`/connections/${c.id}`)}, c.name)},
    {label: 'Route', cell: (c) => h('span', {},
      h('a', {href: href(`/sources/${c.source_id}`)}, c.source_name || c.source_id), ' → ',
      h('a', {href: href(`/destinations/${c.destination_id}`)}, c.destination_name || c.destination_id))},
    {label: 'Status', cell: (c) => h('span', {}, badge(c.status), c.enabled ? '' : [' ', badge('disabled', 'bad')])},
    {label: 'Rules', class: 'num', cell: (c) => String((parseJSONColumn(c.filter_rules) || []).length)},
    {label: 'Transform', cell: (c) => c.transform_enabled ? 'on' : 'off'},
    {label: 'Events', class: 'num', cell: (c) => num(c.event_count)},
    {label: 'Actions', cell: (c) => h('span', {class: 'row-actions'},
      statusToggle(api, '/connections', c, reload),
      h('a', {class: 'button small', href: href('/playground', {connection: c.id})}, 'Playground'))},
  ],
  itemActions: (ctx, c) => [h('a', {class: 'button', href: href('/playground', {connection: c.id})}, 'Open in the playground')],
  details: (ctx, c) => [
    dl([
      ['Route', h('span', {},
        h('a', {href: href(`/sources/${c.source_id}`)}, c.source_name || c.source_id), ' → ',
        h('a', {href: href(`/destinations/${c.destination_id}`)}, c.destination_name || c.destination_id))],
      ['Status', h('span', {}, badge(c.status), c.enabled ? '' : [' ', badge('disabled', 'bad')])],
      ['Events', num(c.event_count)],
      ['Last event', time(c.last_event_at)],
    ]),
    h('h2', {}, 'Filter rules'),
    parseJSONColumn(c.filter_rules) ? jsonView(parseJSONColumn(c.filter_rules), 'Filter rules') : h('p', {class: 'muted'}, 'None: every event matches.'),
  ],
  fields: async ({api, query, signal}, c) => {
    const [srcs, dsts] = c ? [{items: []}, {items: []}] : await Promise.all([
      firstPage(api, '/sources', 'sources', signal),
      firstPage(api, '/destinations', 'destinations', signal),
    ]);
    return [
      {name: 'name', label: 'Name', type: 'text', required: true},
      {name: 'source_id', label: 'Source', type: 'select', required: true, createOnly: true,
        options: c ? [[c.source_id, c.source_name || c.source_id]] : [['', 'Choose a source'], ...pickerOptions(srcs.items)],
        default: query.get('source_id') || '', hint: c ? 'A connection\'s source and destination cannot change.' : null},
      {name: 'destination_id', label: 'Destination', type: 'select', required: true, createOnly: true,
        options: c ? [[c.destination_id, c.destination_name || c.destination_id]] : [['', 'Choose a destination'], ...pickerOptions(dsts.items)],
        default: query.get('destination_id') || ''},
      {name: 'description', label: 'Description', type: 'textarea', rows: 2, wide: true},
      {name: 'enabled', label: 'Enabled', type: 'checkbox', default: true},
      {name: 'status', label: 'Status', type: 'select', options: [['active', 'active'], ['paused', 'paused (holds deliveries)'], ['disabled', 'disabled']], default: 'active'},
      {name: 'filter_rules', label: 'Filter rules', type: 'json', rows: 5, wide: true,
        hint: 'A JSON list of {"field", "op", "value"}; all must match. The playground edits them on real events.'},
      {name: 'transform_enabled', label: 'Transform the body', type: 'checkbox'},
      {name: 'transform_expression', label: 'JSONata transform', type: 'textarea', rows: 4, wide: true},
    ];
  },
});

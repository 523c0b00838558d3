// Topics and their subscriptions: publish/subscribe fan-out.
import {h, time, badge, num, dl, table, toast, copyButton, confirmDialog, state, parseJSONColumn} from '../dom.js';
import {href, navigate} from '../router.js';
import {form} from '../forms.js';
import {resourceView} from './resource.js';
import {firstPage, pickerOptions} from './common.js';

export const topics = resourceView({
  path: '/topics', one: 'topic', many: 'topics', title: 'Topics', noun: 'topic',
  empty: 'No topics yet: create one to publish events to its subscribers.',
  columns: () => [
    {label: 'Name', cell: (t) => h('a', {href: href(`/topics/${t.id}`)}, t.name)},
    {label: 'Slug', cell: (t) => h('code', {}, t.slug)},
    {label: 'Status', cell: (t) => badge(t.status)},
    {label: 'Subscriptions', class: 'num', cell: (t) => num(t.subscription_count)},
    {label: 'Publish URL', cell: (t) => h('span', {class: 'ingest'}, h('code', {class: 'wrap'}, t.publish_url), ' ', copyButton(t.publish_url))},
    {label: 'Events', cell: (t) => h('a', {class: 'button small', href: href('/events', {topic: t.slug})}, 'Events')},
  ],
  details: (ctx, t, res) => [
    dl([
      ['Publish URL', h('span', {class: 'ingest'}, h('code', {class: 'wrap'}, t.publish_url), ' ', copyButton(t.publish_url))],
      ['Status', badge(t.status)],
      ['Created', time(t.created_at)],
    ]),
    subscriptions(ctx, t, res.subscriptions || []),
  ],
  fields: async () => [
    {name: 'name', label: 'Name', type: 'text', required: true},
    {name: 'slug', label: 'Slug', type: 'text', hint: 'Derived from the name when empty; publish with POST /v1/topics/{slug}/publish.'},
    {name: 'description', label: 'Description', type: 'textarea', rows: 2, wide: true},
    {name: 'status', label: 'Status', type: 'select', options: [['active', 'active'], ['inactive', 'inactive']], default: 'active'},
    {name: 'schema', label: 'JSON Schema of published bodies', type: 'json', rows: 6, wide: true},
  ],
});

function subscriptions({api, signal}, t, subs) {
  const base = `/topics/${t.id}/subscriptions`;
  const reload = () => navigate(`/topics/${t.id}`, {}, true);
  const list = subs.length === 0
    ? state('empty', 'No subscriptions: subscribe a destination below.')
    : table([
      {label: 'Destination', cell: (s) => h('a', {href: href(`/destinations/${s.destination_id}`)}, s.destination_name || s.destination_id)},
      {label: 'Enabled', cell: (s) => badge(s.enabled ? 'active' : 'disabled')},
      {label: 'Rules', class: 'num', cell: (s) => String((parseJSONColumn(s.filter_rules) || []).length)},
      {label: 'Transform', cell: (s) => s.transform_expression ? h('code', {class: 'wrap'}, s.transform_expression) : 'none'},
      {label: 'Created', cell: (s) => time(s.created_at)},
      {label: 'Actions', cell: (s) => h('span', {class: 'row-actions'},
        h('a', {class: 'button small', href: href('/playground', {topic: t.id, subscription: s.id})}, 'Playground'),
        h('button', {type: 'button', class: 'small', onclick: async () => {
          try {
            await api.patch(`${base}/${s.id}`, {enabled: !s.enabled});
            toast(s.enabled ? 'Subscription disabled' : 'Subscription enabled');
            reload();
          } catch (err) {
            toast(err.message, 'bad');
          }
        }}, s.enabled ? 'Disable' : 'Enable'),
        h('button', {type: 'button', class: 'small danger', onclick: async () => {
          if (!(await confirmDialog(`Unsubscribe ${s.destination_name || s.destination_id}?`, 'Unsubscribe'))) return;
          try {
            await api.del(`${base}/${s.id}`);
            toast('Unsubscribed');
            reload();
          } catch (err) {
            toast(err.message, 'bad');
          }
        }}, 'Unsubscribe'))},
    ], subs, 'Subscriptions');

  const formBox = h('div', {});
  firstPage(api, '/destinations', 'destinations', signal).then((dsts) => {
    const f = form({
      submitLabel: 'Subscribe',
      fields: [
        {name: 'destination_id', label: 'Destination', type: 'select', required: true,
          options: [['', 'Choose a destination'], ...pickerOptions(dsts.items)]},
        {name: 'filter_rules', label: 'Filter rules', type: 'json', rows: 3, wide: true, hint: 'A JSON list of {"field", "op", "value"}.'},
        {name: 'transform_expression', label: 'JSONata transform', type: 'textarea', rows: 3, wide: true},
        {name: 'enabled', label: 'Enabled', type: 'checkbox', default: true},
      ],
      onSubmit: async (values) => {
        await api.post(base, values);
        toast('Subscribed');
        reload();
      },
    });
    formBox.append(f.el);
  }).catch((err) => formBox.append(state('error', `Destinations: ${err.message}`)));

  return h('section', {'aria-labelledby': 'subs-h'},
    h('h2', {id: 'subs-h'}, 'Subscriptions'), list,
    h('h3', {}, 'Subscribe a destination'), formBox);
}

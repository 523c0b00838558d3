// Sources: where webhooks arrive, each with its ingest URL.
import {h, time, badge, num, copyButton, dl} from '../dom.js';
import {href} from '../router.js';
import {resourceView, statusToggle} from './resource.js';

let templates = null;

async function sourceTemplates(api) {
  if (!templates) {
    templates = api.get('/sources/templates').then((r) => r.templates).catch(() => []);
  }
  return templates;
}

const statuses = [['active', 'active'], ['paused', 'paused (stores events, routes none)'], ['disabled', 'disabled (refuses events)']];

export const sources = resourceView({
  path: '/sources', one: 'source', many: 'sources', title: 'Sources', noun: 'source',
  empty: 'No sources yet: create one to get an ingest URL.',
  columns: ({api}, reload) => [
    {label: 'Name', cell: (s) => h('a', {href: href(`/sources/${s.id}`)}, s.name)},
    {label: 'Status', cell: (s) => badge(s.status)},
    {label: 'Ingest URL', cell: (s) => h('span', {class: 'ingest'}, h('code', {class: 'wrap'}, s.ingest_url), ' ', copyButton(s.ingest_url))},
    {label: 'Verification', cell: (s) => s.verification_enabled ? (s.verification_type || s.template || 'on') : 'off'},
    {label: 'Events', class: 'num', cell: (s) => num(s.event_count)},
    {label: 'Last event', cell: (s) => time(s.last_event_at)},
    {label: 'Actions', cell: (s) => h('span', {class: 'row-actions'},
      statusToggle(api, '/sources', s, reload),
      h('a', {class: 'button small', href: href('/events', {source_id: s.id})}, 'Events'))},
  ],
  details: (ctx, s) => [
    dl([
      ['Ingest URL', h('span', {class: 'ingest'}, h('code', {class: 'wrap'}, s.ingest_url), ' ', copyButton(s.ingest_url))],
      ['Status', badge(s.status)],
      ['Events', num(s.event_count)],
      ['Last event', time(s.last_event_at)],
      ['Created', time(s.created_at)],
    ]),
    h('p', {class: 'row-actions'},
      h('a', {class: 'button', href: href('/events', {source_id: s.id})}, 'Its events'),
      h('a', {class: 'button', href: href('/connections', {source_id: s.id})}, 'Its connections'),
      h('a', {class: 'button', href: href('/connections/new', {source_id: s.id})}, 'Connect it to a destination')),
  ],
  fields: async ({api}, s) => {
    const tpl = await sourceTemplates(api);
    return [
      {name: 'name', label: 'Name', type: 'text', required: true},
      {name: 'slug', label: 'Slug', type: 'text', hint: 'Lowercase letters, digits and dashes; derived from the name when empty.'},
      {name: 'description', label: 'Description', type: 'textarea', rows: 2, wide: true},
      {name: 'template', label: 'Provider template', type: 'select', options: [['', 'none'], ...tpl.map((t) => [t.name, t.display_name || t.name])],
        hint: 'Pre-fills the signature scheme and header of a provider (Stripe, GitHub, …).'},
      {name: 'status', label: 'Status', type: 'select', options: statuses, default: 'active'},
      {name: 'verification_enabled', label: 'Verify signatures', type: 'checkbox'},
      {name: 'verification_type', label: 'Signature scheme', type: 'select',
        options: [['', 'from the template'], ['hmac_sha256', 'HMAC-SHA256'], ['hmac_sha1', 'HMAC-SHA1'], ['standard_webhooks', 'Standard Webhooks']]},
      {name: 'verification_secret', label: 'Signing secret', type: 'password',
        hint: s ? `Write-only: the API shows ${s.verification_secret || 'none'}. Leave empty to keep it.` : 'Write-only: never shown again.'},
      {name: 'verification_header', label: 'Signature header', type: 'text'},
      {name: 'dedup_enabled', label: 'Deduplicate', type: 'checkbox'},
      {name: 'dedup_strategy', label: 'Dedup by', type: 'select',
        options: [['', '—'], ['payload_hash', 'payload hash'], ['header_field', 'a header'], ['body_field', 'a body field']]},
      {name: 'dedup_field', label: 'Dedup header or body path', type: 'text'},
      {name: 'dedup_window_seconds', label: 'Dedup window (seconds)', type: 'number', placeholder: '300'},
      {name: 'ip_allowlist', label: 'IP allow list', type: 'lines', hint: 'One address or CIDR a line; empty allows all.'},
      {name: 'ip_denylist', label: 'IP deny list', type: 'lines', hint: 'One address or CIDR a line.'},
      {name: 'schema_validation_enabled', label: 'Validate with a JSON Schema', type: 'checkbox'},
      {name: 'json_schema', label: 'JSON Schema', type: 'json', rows: 6, wide: true},
      {name: 'schema_action', label: 'On schema violation', type: 'select', options: [['', '—'], ['reject', 'reject (422)'], ['warn', 'store, marked schema_invalid']]},
    ];
  },
});

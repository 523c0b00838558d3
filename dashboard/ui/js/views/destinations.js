// Destinations: where deliveries go, with their circuit breakers.
import {h, replace, time, badge, num, dl, toast} from '../dom.js';
import {all} from '../api.js';
import {href} from '../router.js';
import {resourceView, statusToggle} from './resource.js';

// circuitCell shows a destination's circuit and, unless it is closed, a
// reset button.
export function circuitView(api, dst, circuit, reload) {
  const box = h('span', {class: 'circuit'}, badge(circuit.state), circuit.failure_count ? ` ${circuit.failure_count} failures` : '');
  if (circuit.state !== 'closed') {
    if (circuit.next_probe_at) box.append(' · probe ', time(circuit.next_probe_at));
    box.append(' ', h('button', {type: 'button', class: 'small', onclick: async (e) => {
      e.target.disabled = true;
      try {
        await api.post(`/destinations/${dst.id}/circuit/reset`);
        toast(`Circuit of ${dst.name} closed`);
        reload();
      } catch (err) {
        toast(`Reset failed: ${err.message}`, 'bad');
        e.target.disabled = false;
      }
    }}, 'Reset circuit'));
  }
  return box;
}

const circuits = new WeakMap();

export const destinations = resourceView({
  path: '/destinations', one: 'destination', many: 'destinations', title: 'Destinations', noun: 'destination',
  empty: 'No destinations yet: create one for the URL your events go to.',
  columns: ({api}, reload) => [
    {label: 'Name', cell: (d) => h('a', {href: href(`/destinations/${d.id}`)}, d.name)},
    {label: 'Status', cell: (d) => badge(d.status)},
    {label: 'URL', cell: (d) => h('code', {class: 'wrap'}, d.type === 'http' ? `${d.method} ${d.url}` : `${d.type} ${d.url || ''}`)},
    {label: 'Circuit', cell: (d) => {
      const c = h('span', {class: 'muted'}, '…');
      circuits.set(d, {cell: c, reload});
      return c;
    }},
    {label: 'Deliveries', class: 'num', cell: (d) => num(d.event_count)},
    {label: 'Last delivery', cell: (d) => time(d.last_delivery_at)},
    {label: 'Actions', cell: (d) => h('span', {class: 'row-actions'},
      statusToggle(api, '/destinations', d, reload),
      h('a', {class: 'button small', href: href('/dead-letters', {destination_id: d.id})}, 'Dead letters'))},
  ],
  // The circuits of a page's destinations, six requests at a time.
  afterList: async ({api}, items) => {
    await all(items, 6, async (d) => {
      const {cell, reload} = circuits.get(d);
      try {
        const c = (await api.get(`/destinations/${d.id}/circuit`)).circuit;
        replace(cell, circuitView(api, d, c, reload));
      } catch (err) {
        replace(cell, h('span', {class: 'error-text'}, err.message));
      }
    });
  },
  details: async ({api}, d) => {
    const circuit = h('span', {}, '…');
    const load = async () => {
      try {
        replace(circuit, circuitView(api, d, (await api.get(`/destinations/${d.id}/circuit`)).circuit, load));
      } catch (err) {
        replace(circuit, h('span', {class: 'error-text'}, err.message));
      }
    };
    await load();
    return [
      dl([
        ['Sends', h('code', {class: 'wrap'}, `${d.method} ${d.url || ''}`)],
        ['Status', badge(d.status)],
        ['Circuit', circuit],
        ['Retries', d.retry_enabled ? `${d.retry_max_attempts} (${d.retry_backoff_type}, ${d.retry_intervals} s)` : 'off'],
        ['Deliveries', num(d.event_count)],
        ['Last delivery', time(d.last_delivery_at)],
      ]),
      h('p', {class: 'row-actions'},
        h('a', {class: 'button', href: href('/dead-letters', {destination_id: d.id})}, 'Its dead letters'),
        h('a', {class: 'button', href: href('/connections', {destination_id: d.id})}, 'Its connections')),
    ];
  },
  fields: async (ctx, d) => [
    {name: 'name', label: 'Name', type: 'text', required: true},
    {name: 'slug', label: 'Slug', type: 'text', hint: 'Derived from the name when empty.'},
    {name: 'url', label: 'URL', type: 'text', required: true, wide: true, placeholder: 'https://…'},
    {name: 'type', label: 'Type', type: 'text', default: 'http', hint: 'http, or a type registered by the application.'},
    {name: 'method', label: 'Method', type: 'select', options: [['POST', 'POST'], ['PUT', 'PUT'], ['PATCH', 'PATCH']], default: 'POST'},
    {name: 'status', label: 'Status', type: 'select', options: [['active', 'active'], ['paused', 'paused'], ['disabled', 'disabled']], default: 'active'},
    {name: 'timeout_ms', label: 'Timeout (ms)', type: 'number', placeholder: '30000'},
    {name: 'max_concurrency', label: 'Deliveries in flight at most', type: 'number', placeholder: '10'},
    {name: 'headers', label: 'Extra headers', type: 'json', hint: 'A JSON object of header names to values.', wide: true},
    {name: 'auth_type', label: 'Authentication', type: 'select', options: [['none', 'none'], ['bearer', 'bearer token'], ['basic', 'basic'], ['api_key', 'API key header']], default: 'none'},
    {name: 'auth_config', label: 'Authentication settings', type: 'json', wide: true,
      hint: d ? 'Secrets are masked in what the API shows: leave unchanged to keep them.' : 'bearer {"token"}; basic {"username", "password"}; api_key {"header", "value"}.'},
    {name: 'retry_enabled', label: 'Retry failed deliveries', type: 'checkbox', default: true},
    {name: 'retry_max_attempts', label: 'Retries', type: 'number', placeholder: '5'},
    {name: 'retry_backoff_type', label: 'Back-off', type: 'select', options: [['exponential', 'exponential'], ['linear', 'linear'], ['fixed', 'fixed']], default: 'exponential'},
    {name: 'retry_intervals', label: 'Retry intervals (seconds)', type: 'ints', placeholder: '30, 300, 1800, 7200, 86400'},
    {name: 'circuit_breaker_enabled', label: 'Circuit breaker', type: 'checkbox', default: true},
    {name: 'circuit_breaker_threshold', label: 'Open after failures in a row', type: 'number', placeholder: '5'},
    {name: 'circuit_breaker_reset_ms', label: 'Probe after (ms)', type: 'number', placeholder: '60000'},
    {name: 'signing_config', label: 'Signing', type: 'json', wide: true, hint: '{"secret", "algorithm"} or {"scheme": "standard_webhooks", "secret": "whsec_…"}; secrets masked.'},
    {name: 'provider_config', label: 'Provider settings', type: 'json', wide: true},
  ],
});

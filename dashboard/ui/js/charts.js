// Line charts in hand-written SVG: time on x, one line per series, every
// point titled with its value, and the numbers as a table beside it for
// screen readers and for copying.
import {h, svg, formatLocal} from './dom.js';

// Colours distinguishable with the common colour-vision deficiencies
// (Okabe–Ito), each line also drawn with its own dash pattern.
const colours = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9'];
const dashes = ['', '6 3', '2 3', '8 3 2 3', '1 2', '10 4'];

const W = 640;
const H = 220;
const pad = {l: 52, r: 12, t: 12, b: 28};

// lineChart draws series [{name, values: Map(ms → number)}] over the
// buckets (ms, ascending); missing values are drawn as gaps.
export function lineChart({title, buckets, series, format = String, granularity = 'hour'}) {
  const fig = h('figure', {class: 'chart'});
  fig.append(h('figcaption', {}, title));
  if (buckets.length === 0 || series.length === 0) {
    fig.append(h('p', {class: 'muted'}, 'No data in this range.'));
    return fig;
  }
  let max = 0;
  for (const s of series) for (const v of s.values.values()) max = Math.max(max, v);
  const top = niceCeil(max || 1);
  const x = (i) => pad.l + (buckets.length === 1 ? (W - pad.l - pad.r) / 2 : (i * (W - pad.l - pad.r)) / (buckets.length - 1));
  const y = (v) => pad.t + (H - pad.t - pad.b) * (1 - v / top);
  const chart = svg('svg', {viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${title}: chart; the table below has the numbers`, class: 'chart-svg'});

  for (let k = 0; k <= 4; k++) {
    const v = (top * k) / 4;
    chart.append(
      svg('line', {x1: pad.l, x2: W - pad.r, y1: y(v), y2: y(v), class: 'grid'}),
      svg('text', {x: pad.l - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick'}, format(v)));
  }
  const every = Math.max(1, Math.ceil(buckets.length / 6));
  buckets.forEach((b, i) => {
    if (i % every !== 0) return;
    chart.append(svg('text', {x: x(i), y: H - 8, 'text-anchor': 'middle', class: 'tick'}, tickLabel(b, granularity)));
  });
  series.forEach((s, si) => {
    const colour = colours[si % colours.length];
    let d = '';
    let pen = false;
    buckets.forEach((b, i) => {
      const v = s.values.get(b);
      if (v === undefined || v === null) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
      chart.append(svg('circle', {cx: x(i), cy: y(v), r: 2.5, fill: colour},
        svg('title', {}, `${s.name} · ${formatLocal(new Date(b))}: ${format(v)}`)));
    });
    chart.append(svg('path', {d, fill: 'none', stroke: colour, 'stroke-width': 2, 'stroke-dasharray': dashes[si % dashes.length] || null}));
  });
  fig.append(chart);
  fig.append(h('ul', {class: 'legend'}, series.map((s, si) => h('li', {},
    svg('svg', {width: 24, height: 10, 'aria-hidden': 'true'},
      svg('line', {x1: 0, x2: 24, y1: 5, y2: 5, stroke: colours[si % colours.length], 'stroke-width': 3, 'stroke-dasharray': dashes[si % dashes.length] || null})),
    ' ', s.name))));
  fig.append(h('details', {class: 'chart-table'}, h('summary', {}, 'Show the numbers'),
    h('div', {class: 'table-wrap'}, h('table', {},
      h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Bucket'), series.map((s) => h('th', {scope: 'col'}, s.name)))),
      h('tbody', {}, buckets.map((b) => h('tr', {},
        h('th', {scope: 'row'}, h('time', {datetime: new Date(b).toISOString(), title: `${new Date(b).toISOString()} (UTC)`}, formatLocal(new Date(b)))),
        series.map((s) => h('td', {class: 'num'}, s.values.has(b) ? format(s.values.get(b)) : '—')))))))));
  return fig;
}

function tickLabel(ms, granularity) {
  const d = new Date(ms);
  return granularity === 'day'
    ? d.toLocaleDateString(undefined, {month: 'short', day: 'numeric'})
    : d.toLocaleTimeString(undefined, {hour: '2-digit', minute: '2-digit'});
}

// niceCeil rounds up to 1, 2 or 5 times a power of ten.
function niceCeil(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

// bucketGrid lists the buckets from after to before (ms) at granularity,
// aligned to UTC hours or days, merged with the buckets the data has.
export function bucketGrid(after, before, granularity, seen) {
  const step = granularity === 'day' ? 86400000 : 3600000;
  const out = new Set(seen);
  for (let t = Math.floor(after / step) * step; t <= before; t += step) out.add(t);
  return [...out].sort((a, b) => a - b);
}

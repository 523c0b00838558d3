// Forms for the API's resources: labelled fields, the API's validation
// messages shown beside the field they name, and updates that send only
// what changed (so masked secrets are never sent back).
import {h} from './dom.js';

let formSeq = 0;

// Field kinds: text, password, number, textarea, select, checkbox, json
// (a JSON value; the API's JSON-encoded columns are decoded for editing),
// lines (a list of strings, one a line), ints (comma-separated integers).
function fromWire(f, v) {
  if (v === undefined || v === null) return f.type === 'checkbox' ? false : '';
  switch (f.type) {
    case 'checkbox': return v === 1 || v === true;
    case 'json': {
      let parsed = v;
      if (typeof v === 'string') {
        try { parsed = JSON.parse(v); } catch { return v; }
      }
      return JSON.stringify(parsed, null, 2);
    }
    case 'lines': return (typeof v === 'string' ? JSON.parse(v) : v).join('\n');
    case 'ints': return (typeof v === 'string' ? JSON.parse(v) : v).join(', ');
    default: return String(v);
  }
}

// toValue reads an input's value for the API; it throws a message for the
// field when the input cannot be read.
function toValue(f, input) {
  if (f.type === 'checkbox') return input.checked;
  const s = input.value;
  if (s.trim() === '') return null;
  switch (f.type) {
    case 'number': {
      const n = Number(s);
      if (!Number.isInteger(n)) throw new Error('must be a whole number');
      return n;
    }
    case 'json':
      try { return JSON.parse(s); } catch (e) { throw new Error(`is not valid JSON (${e.message})`); }
    case 'lines': return s.split('\n').map((l) => l.trim()).filter(Boolean);
    case 'ints': return s.split(/[\s,]+/).filter(Boolean).map((x) => {
      const n = Number(x);
      if (!Number.isInteger(n)) throw new Error('must be whole numbers separated by commas');
      return n;
    });
    default: return s;
  }
}

// form builds a form. onSubmit(values) receives, on create, every field
// that is set and, on edit (initial given), the fields that changed.
export function form({fields, initial, submitLabel, onSubmit, onCancel}) {
  const id = `f${++formSeq}`;
  const inputs = new Map();
  const errors = new Map();
  const top = h('div', {class: 'form-error', role: 'alert', tabindex: '-1', hidden: true});
  const startValues = new Map();

  const rows = fields.map((f) => {
    const inputID = `${id}-${f.name}`;
    const errID = `${inputID}-err`;
    const hintID = f.hint ? `${inputID}-hint` : null;
    const described = [hintID, errID].filter(Boolean).join(' ');
    const start = fromWire(f, initial ? initial[f.name] : f.default);
    startValues.set(f.name, start);
    let input;
    const common = {id: inputID, name: f.name, 'aria-describedby': described, required: f.required && !initial,
      disabled: Boolean(initial && f.createOnly)};
    if (f.type === 'select') {
      input = h('select', common, (f.options || []).map(([v, label]) =>
        h('option', {value: v, selected: String(v) === start}, label)));
    } else if (f.type === 'textarea' || f.type === 'json' || f.type === 'lines') {
      input = h('textarea', {...common, rows: f.rows || 4, spellcheck: 'false', class: f.type === 'textarea' ? '' : 'mono'});
      input.value = start;
    } else if (f.type === 'checkbox') {
      input = h('input', {...common, type: 'checkbox', checked: start});
    } else {
      input = h('input', {...common, type: f.type === 'password' ? 'password' : f.type === 'number' ? 'number' : 'text',
        value: start, placeholder: f.placeholder, autocomplete: 'off', spellcheck: 'false'});
    }
    inputs.set(f.name, input);
    const err = h('p', {class: 'field-error', id: errID, hidden: true});
    errors.set(f.name, err);
    const hint = f.hint ? h('p', {class: 'hint', id: hintID}, f.hint) : null;
    if (f.type === 'checkbox') {
      return h('div', {class: 'field check'}, input, h('label', {for: inputID}, f.label), hint, err);
    }
    // The input's required attribute tells assistive technology; the
    // marker beside the label tells the eye.
    return h('div', {class: `field ${f.wide ? 'wide' : ''}`},
      h('div', {class: 'label-row'}, h('label', {for: inputID}, f.label), f.required && !initial ? h('span', {class: 'req', 'aria-hidden': 'true'}, 'required') : null),
      input, hint, err);
  });

  const submit = h('button', {type: 'submit', class: 'primary'}, submitLabel || (initial ? 'Save' : 'Create'));
  const el = h('form', {class: 'resource', novalidate: true},
    top,
    h('div', {class: 'fields'}, rows),
    h('div', {class: 'actions'}, submit,
      onCancel ? h('button', {type: 'button', onclick: onCancel}, 'Cancel') : null));

  function clearErrors() {
    top.hidden = true;
    for (const [name, e] of errors) {
      e.hidden = true;
      inputs.get(name).removeAttribute('aria-invalid');
    }
  }

  // showError places an API error beside the field it names (or above the
  // form).
  function showError(err) {
    const name = err.field && errors.has(err.field) ? err.field : null;
    if (name) {
      const e = errors.get(name);
      e.textContent = err.message;
      e.hidden = false;
      inputs.get(name).setAttribute('aria-invalid', 'true');
      inputs.get(name).focus();
    } else {
      top.textContent = err.message;
      top.hidden = false;
      top.focus();
    }
  }

  el.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors();
    const values = {};
    for (const f of fields) {
      const input = inputs.get(f.name);
      if (input.disabled) continue;
      const current = f.type === 'checkbox' ? input.checked : input.value;
      if (initial && current === startValues.get(f.name)) continue; // unchanged
      let v;
      try {
        v = toValue(f, input);
      } catch (problem) {
        showError({field: f.name, message: `${f.label} ${problem.message}`});
        return;
      }
      if (!initial && (v === null || (f.type === 'checkbox' && v === Boolean(f.default)))) continue;
      if (v === null && f.type === 'lines') v = [];
      if (v === null && (f.type === 'text' || f.type === 'textarea')) v = ''; // cleared
      if (v === null && f.type === 'number') continue;
      values[f.name] = v;
    }
    submit.disabled = true;
    try {
      await onSubmit(values);
    } catch (err) {
      showError(err);
    } finally {
      submit.disabled = false;
    }
  });
  return {el, showError, inputs};
}

// runner.js evaluates JSONata expressions with the reference implementation
// (jsonata-js) for TestDifferentialReference and the golden update of
// TestGolden_Language.
//
// Usage: node runner.js DIR < cases.json > results.json
//
// DIR is a directory containing node_modules/jsonata (default: the
// HOOKSTREAM_JSONATA_REFERENCE environment variable). stdin holds a JSON
// array of {"expr": string, "input": any, "bindings": object}; "input"
// absent means the input is undefined, "bindings" is optional. stdout
// receives a JSON array with, for each case in order, one of
// {"result": any}, {"undefined": true} or {"error": "CODE: message"}. A
// result JSON cannot represent (a number that is not finite) is reported
// as an error; a function result, which JSON.stringify drops, as undefined.
// Each evaluation is stopped after 5 seconds.
'use strict';

const path = require('path');

const dir = process.argv[2] || process.env.HOOKSTREAM_JSONATA_REFERENCE;
if (!dir) {
  process.stderr.write('usage: node runner.js DIR < cases.json\n');
  process.exit(2);
}
const jsonata = require(path.resolve(dir, 'node_modules', 'jsonata'));

const timeoutMillis = 5000;

// timebox stops an evaluation running longer than timeoutMillis, using
// the evaluator's entry hook (as jsonata-js's own test suite does).
function timebox(expr) {
  const start = Date.now();
  expr.assign(Symbol.for('jsonata.__evaluate_entry'), function () {
    if (Date.now() - start > timeoutMillis) {
      throw { code: 'U1001', message: 'Expression evaluation timeout: Check for infinite loop' };
    }
  });
}

function describeError(e) {
  if (e && typeof e === 'object') {
    const msg = e.message !== undefined ? e.message : String(e);
    return e.code ? e.code + ': ' + msg : msg;
  }
  return String(e);
}

async function evaluate(c) {
  try {
    const expr = jsonata(c.expr);
    timebox(expr);
    const result = await expr.evaluate(c.input, c.bindings);
    if (result === undefined) {
      return '{"undefined":true}';
    }
    const text = JSON.stringify(result, function (key, value) {
      if (typeof value === 'number' && !isFinite(value)) {
        // JSON.stringify would silently write null.
        throw { code: 'D1001', message: 'Number out of range: the result holds ' + value + ', which JSON cannot represent' };
      }
      return value;
    });
    if (text === undefined) { // a function, for example
      return '{"undefined":true}';
    }
    return '{"result":' + text + '}';
  } catch (e) {
    return JSON.stringify({ error: describeError(e) });
  }
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  const cases = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  if (!Array.isArray(cases)) {
    throw new Error('stdin must hold a JSON array of cases');
  }
  const out = [];
  for (const c of cases) {
    out.push(await evaluate(c));
  }
  process.stdout.write('[' + out.join(',\n') + ']\n');
}

main().catch((e) => {
  process.stderr.write('runner.js: ' + describeError(e) + '\n');
  process.exit(1);
});

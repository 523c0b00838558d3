// Package transform evaluates hookstream's JSONata transforms with an
// evaluator of its own over the syntax tree of
// github.com/blues/jsonata-go/jparse, under a deterministic budget.
//
// [Compile] (or [Cache.Compile], which compiles each expression once)
// parses an expression and returns a [*Program]; a refusal is a
// [*CompileError]: a syntax error (with its offset), a call of an unknown
// function, or a source longer than [MaxExpressionBytes] or nested deeper
// than [MaxNesting]. Nothing else is refused before it runs: the budget is
// what bounds an evaluation. [Program.Eval] evaluates against a JSON body
// and returns the result's JSON encoding, which may be any JSON value;
// [ParseInput] and [Program.EvalInput] decode a body once for any number
// of programs. Eval decodes only what the expression can read of the body
// (projection.go): the rest is checked to be JSON and skipped.
//
// # Semantics
//
// The evaluator follows the reference implementation, jsonata-js 2.x, and
// is a close port of its evaluator: sequences and singleton flattening,
// undefined versus null, array constructors that keep empty arrays, []
// to keep singletons, ~> chaining and function composition, partial
// application with ?, lambdas, closures, recursion with tail calls run in
// a loop, typed signatures, higher-order built-ins, object constructors
// and grouping, |...|...| transforms, the parent operator %, positional
// (#$i) and context (@$v) bindings, ?? and ?:, and the whole function
// library including $formatNumber, $formatInteger, $parseInteger,
// $fromMillis and $toMillis pictures (package xpath) and $eval. jparse
// does not parse %, #, @, ?? and ?:; a pre-pass rewrites them into marked
// forms it parses, and the conversion to this package's tree turns them
// back.
//
// Object keys keep their insertion order, as in JavaScript. Regular
// expressions are Go's (RE2): no backreferences or lookaround, and \b, \d
// and \w are ASCII-only; the reference's JavaScript regexes have them.
//
// # Budget
//
// Every evaluation runs on the caller's goroutine with state of its own
// (no package-level mutable state: concurrency-safe by construction) and
// is charged as it goes:
//
//   - steps ([Config.MaxSteps], default [DefaultMaxSteps]): one per
//     syntax node visited and per item a path, a filter or a constructor
//     produces, and built-in work in proportion (a comparison of a sort,
//     sixteen bytes of a string scanned, eight bytes scanned by a regular
//     expression, an element compared by $distinct);
//   - bytes ([Config.MaxBytes], default [DefaultMaxBytes]): of every value
//     built, whether or not it is kept: strings by their length, array
//     items, object entries and closures by a fixed size;
//   - depth ([Config.MaxDepth], default [DefaultMaxDepth]): nested
//     evaluations, so non-tail recursion; a tail call does not deepen.
//
// The context is checked every 1,024 steps. Exceeding a limit stops the
// evaluation at once with a [*BudgetError] naming it ("transform exceeded
// its step budget (2,000,000)"). Charges do not depend on time or load, so
// the same expression on the same input has the same outcome under any
// load, and a budget failure is permanent. A [Cache] also bounds how many
// evaluations run at once ([Config.MaxConcurrent]), which caps their
// memory; the encoded result is capped at [Config.MaxOutputBytes].
//
// Runtime errors are [*EvalError]s carrying the reference's error codes.
// A panic inside the evaluator (a bug) is recovered into an error.
package transform

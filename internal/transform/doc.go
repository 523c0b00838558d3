// Package transform evaluates hookstream's JSONata transforms with
// github.com/blues/jsonata-go v1.5.4, containing that library's defects.
//
// [Compile] (or [Cache.Compile], which compiles each expression once)
// validates an expression and returns a [*Program]; every refusal is a
// [*CompileError]. [Program.Eval] evaluates it against a JSON body and
// returns the result as JSON, which must be an object or an array.
//
// # Defects contained
//
// Shared built-ins. jsonata-go's built-in functions are package-level
// values that evaluation mutates, so concurrent evaluations read each
// other's data. Each evaluation here runs on a private instance (its own
// syntax tree and its own shallow copies of every built-in, registered
// under the built-ins' names so the shared ones are never looked up).
// Instances are pooled per program and used by one evaluation at a time,
// so evaluations never wait on each other: there is no global lock for a
// runaway evaluation to hold.
//
// ~> rewrites the syntax tree. Evaluating x ~> $f() prepends x to the
// call's arguments in place, so a compiled expression goes wrong on its
// second use. A program using ~> gets a fresh instance for every
// evaluation.
//
// null. jsonata-go treats a nil interface as missing; input nulls are
// converted to its null value, so {"x": a} on {"a": null} gives
// {"x": null} and $exists(a) is true. (An object transformation,
// |...|...|, copies its input through JSON and loses nulls inside the
// copy; they still encode as null in the result.)
//
// Unbounded evaluation. jsonata-go recurses on the Go stack (a stack
// overflow kills the process) and cannot be interrupted. Compile therefore
// refuses:
//
//   - recursion: functions are first-order (a function value can only be
//     called, assigned to a variable, or passed to a built-in that calls
//     it, such as $map's second argument), only built-ins, variables
//     assigned a function and function literals can be called, and no
//     function's definition may refer to itself directly or through other
//     functions. Names are treated as one binding across scopes, which is
//     conservative. Recursion over a tree ($f calling $map(children, $f))
//     is refused.
//   - ranges whose bounds are not integer constants, ranges inside a
//     function body, a path step after the first, a predicate, a sort term
//     or a grouping, where they would be rebuilt for every item
//     ([1..1e4].([1..1e4]); assign the range to a variable instead), and
//     ranges of more than MaxRangeItems items in total;
//   - an assignment anywhere but as a statement of a block ($x := ...; ...),
//     a function body or the whole expression: elsewhere (an object value,
//     an array item, an argument) it would rebind an enclosing variable on
//     every item of an iteration. A variable may be reassigned in order;
//   - variables named like built-ins ($string := ...) and parameters that
//     shadow built-ins;
//   - expressions that can build values exponentially larger than their
//     input without iterating (a chain of doubling variables or calls):
//     a static size analysis bounds every value to MaxAmplification times
//     the input;
//   - expressions longer than MaxExpressionBytes or deeper than MaxDepth.
//
// Every evaluation runs in its own goroutine under a deadline
// ([Config.Timeout], default 250 ms, or the context's deadline if
// earlier). An evaluation that overruns it is abandoned with [ErrTimeout]
// and told to stop: it stops at its next built-in call or callback.
// Evaluations that do no such call (pure path navigation over a large
// input) run to completion; while [Config.MaxRunaway] of them are still
// running, Eval refuses new evaluations with [ErrOverloaded]. Every
// argument of a built-in call or callback is checked against size limits
// (16 MiB strings, 2^20 items), so an accumulator doubling in $reduce stops
// early; $pad widths are capped. The encoded result is capped
// ([Config.MaxOutputBytes], default 1 MiB) while it is written, and panics
// are recovered into errors.
//
// # Caveats
//
//   - Numbers are IEEE-754 doubles, as in JSONata: integers beyond 2^53 lose
//     precision.
//   - Objects are Go maps: results are encoded with sorted keys, and $keys,
//     $each and $spread list keys in no particular order.
//   - jsonata-go cannot be interrupted between built-in calls. A mapping
//     that, for every item of a large input array, concatenates or
//     serialises data from outside the item (items.($$.name & sku)) takes
//     time and memory proportional to the number of items times the size
//     of that data; the static analysis cannot tell that data is small, so
//     it bounds such work only per item. The deadline stops it at its next
//     built-in call, the output limit bounds its result, and MaxRunaway
//     bounds how many such evaluations run at once.
//   - Type signatures on functions (function($a)<n:n>{...}) are accepted,
//     but a '!' not followed by '=' or a '~' not followed by '>' anywhere
//     after one is refused: jsonata-go's parser never returns on it.
//   - Abandoned evaluations keep their goroutine until they stop; use
//     [Cache.Wait] (or [Wait]) to wait for them, e.g. at shutdown.
package transform

package transform

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"sync/atomic"

	jsonata "github.com/blues/jsonata-go"
	"github.com/blues/jsonata-go/jtypes"
)

// jsonata-go binds its built-in functions once, in a package-level
// environment, and evaluation mutates them: every call runs SetContext
// (and, through an alias, SetName) on the shared *goCallable, so
// concurrent evaluations read each other's context (name.$uppercase()
// returns another goroutine's name). jsonata-go looks a function up by
// name, innermost environment first, and an Expr's own registry
// (RegisterVars) is bound in the evaluation's environment, in front of the
// package-level one. So every evaluation instance here registers private
// copies of every built-in under the same names: the shared ones are never
// reached. The copies are shallow copies of the built-ins' own values (same
// Go function, parameter types, undefined and context handlers), so
// behaviour is jsonata-go's own. $now and $millis are created afresh by
// jsonata-go for each evaluation and share no mutable state.

// builtinNames lists every function in jsonata-go v1.5.4's base
// environment (env.go, baseEnv). TestNewBuiltin checks the
// list against that source.
var builtinNames = []string{
	// String functions.
	"string", "length", "substring", "substringBefore", "substringAfter",
	"uppercase", "lowercase", "pad", "trim", "contains", "split", "join",
	"match", "replace", "formatNumber", "formatBase", "base64encode",
	"base64decode", "decodeUrl", "decodeUrlComponent", "encodeUrl",
	"encodeUrlComponent",
	// Number functions.
	"number", "abs", "floor", "ceil", "round", "power", "sqrt", "random",
	"sum", "max", "min", "average",
	// Boolean functions.
	"boolean", "not", "exists",
	// Array functions.
	"distinct", "count", "reverse", "sort", "shuffle", "zip", "append",
	"map", "filter", "reduce", "single",
	// Object functions.
	"each", "sift", "keys", "lookup", "spread", "merge",
	// Date and misc functions.
	"fromMillis", "toMillis", "type", "error",
}

// timeNames are the functions jsonata-go binds per evaluation.
var timeNames = []string{"now", "millis"}

// testBuiltins are extra functions registered on every instance; a test
// seam, set only by tests before any evaluation.
var testBuiltins map[string]jsonata.Extension

// referencedBuiltins returns the built-ins among the variable names an
// expression refers to; $now and $millis are bound by jsonata-go itself.
func referencedBuiltins(names map[string]bool) []string {
	var out []string
	for name := range names {
		if _, ok := templates[name]; ok {
			out = append(out, name)
		} else if _, ok := testBuiltins[name]; ok {
			out = append(out, name)
		}
	}
	return out
}

// isBuiltin reports whether $name is a function the expression did not
// define.
func isBuiltin(name string) bool {
	_, ok := builtinSet[name]
	if !ok {
		_, ok = testBuiltins[name]
	}
	return ok
}

var builtinSet = func() map[string]struct{} {
	m := make(map[string]struct{}, len(builtinNames)+len(timeNames))
	for _, n := range append(builtinNames[:len(builtinNames):len(builtinNames)], timeNames...) {
		m[n] = struct{}{}
	}
	return m
}()

// templates holds a pristine private copy of each built-in, taken when the
// package is initialised. Instances copy these, never the shared originals,
// which other code in the process may be mutating.
var templates = func() map[string]reflect.Value {
	m := make(map[string]reflect.Value, len(builtinNames))
	for _, name := range builtinNames {
		v, err := jsonata.MustCompile("$" + name).Eval(nil)
		if err != nil {
			panic(fmt.Sprintf("transform: jsonata-go has no built-in $%s: %v", name, err))
		}
		c := copyCallable(reflect.ValueOf(v))
		c.Interface().(nameSetter).SetName(name)
		c.Interface().(contextSetter).SetContext(reflect.Value{})
		m[name] = c
	}
	return m
}()

// copyCallable returns a pointer to a shallow copy of the struct p points
// to.
func copyCallable(p reflect.Value) reflect.Value {
	c := reflect.New(p.Type().Elem())
	c.Elem().Set(p.Elem())
	return c
}

// nameSetter and contextSetter are the interfaces jsonata-go uses to
// mutate a callable during evaluation.
type nameSetter interface{ SetName(string) }
type contextSetter interface{ SetContext(reflect.Value) }

// Intermediate-value limits, checked on every argument of every built-in
// call and of every function a built-in calls back. They stop an
// expression that doubles a string or an array on each step (for example
// with $reduce) long before it exhausts memory.
const (
	maxIntermediateBytes = 16 << 20 // string length
	maxIntermediateItems = 1 << 20  // array length, object size
	maxPadWidth          = 1 << 16  // $pad's width
)

// errCancelled stops an evaluation that overran its deadline at its next
// built-in call or callback.
var errCancelled = errors.New("evaluation cancelled")

// run is the state of one evaluation, shared by the evaluating goroutine
// and the caller that abandons it.
type run struct {
	cancelled atomic.Bool
}

func (r *run) check(argv []reflect.Value) error {
	if r.cancelled.Load() {
		return errCancelled
	}
	for _, v := range argv {
		v = unwrap(v)
		switch v.Kind() {
		case reflect.String:
			if v.Len() > maxIntermediateBytes {
				return fmt.Errorf("intermediate string of %d bytes exceeds %d", v.Len(), maxIntermediateBytes)
			}
		case reflect.Slice, reflect.Array, reflect.Map:
			if v.Len() > maxIntermediateItems {
				return fmt.Errorf("intermediate value of %d items exceeds %d", v.Len(), maxIntermediateItems)
			}
		}
	}
	return nil
}

// unwrap returns the value inside an interface.
func unwrap(v reflect.Value) reflect.Value {
	for v.Kind() == reflect.Interface && !v.IsNil() {
		v = v.Elem()
	}
	return v
}

// builtin is an instance's private copy of a jsonata-go built-in. It
// checks for cancellation and oversized arguments before each call, and
// wraps function arguments (the callbacks of $map, $reduce, ...) so every
// callback is checked too.
type builtin struct {
	inner jtypes.Callable
	ctx   contextSetter
	name  nameSetter
	inst  *instance
	extra func([]reflect.Value) error
}

func newBuiltin(name string, inst *instance) *builtin {
	c := copyCallable(templates[name]).Interface()
	b := &builtin{
		inner: c.(jtypes.Callable),
		ctx:   c.(contextSetter),
		name:  c.(nameSetter),
		inst:  inst,
	}
	if name == "pad" {
		b.extra = checkPad
	}
	return b
}

// Name, ParamCount, SetContext and SetName forward to the private copy.
func (b *builtin) Name() string                 { return b.inner.Name() }
func (b *builtin) ParamCount() int              { return b.inner.ParamCount() }
func (b *builtin) SetContext(ctx reflect.Value) { b.ctx.SetContext(ctx) }
func (b *builtin) SetName(name string)          { b.name.SetName(name) }

// MarshalJSON encodes a function as "", as jsonata-go does.
func (b *builtin) MarshalJSON() ([]byte, error) { return []byte(`""`), nil }

// Call checks the evaluation and the arguments, then calls the copy.
func (b *builtin) Call(argv []reflect.Value) (reflect.Value, error) {
	r := b.inst.run
	if err := r.check(argv); err != nil {
		return reflect.Value{}, err
	}
	if b.extra != nil {
		if err := b.extra(argv); err != nil {
			return reflect.Value{}, err
		}
	}
	for i, v := range argv {
		u := unwrap(v)
		if !u.IsValid() || !u.Type().Implements(jtypes.TypeCallable) {
			continue
		}
		if u.Type().Implements(jtypes.TypeConvertible) {
			continue // a regular expression: runs no user code
		}
		argv[i] = reflect.ValueOf(&callback{inner: u.Interface().(jtypes.Callable), run: r})
	}
	return b.inner.Call(argv)
}

// checkPad refuses a $pad width that would allocate a large string in one
// uninterruptible call.
func checkPad(argv []reflect.Value) error {
	for _, v := range argv {
		if v = unwrap(v); v.Kind() == reflect.Float64 && math.Abs(v.Float()) > maxPadWidth {
			return fmt.Errorf("$pad width %v exceeds %d", v.Float(), maxPadWidth)
		}
	}
	return nil
}

// callback wraps a function passed to a built-in.
type callback struct {
	inner jtypes.Callable
	run   *run
}

// Name and ParamCount forward to the wrapped function.
func (c *callback) Name() string    { return c.inner.Name() }
func (c *callback) ParamCount() int { return c.inner.ParamCount() }

// MarshalJSON encodes a function as "", as jsonata-go does.
func (c *callback) MarshalJSON() ([]byte, error) { return []byte(`""`), nil }

// Call checks the evaluation and the arguments, then calls the function.
func (c *callback) Call(argv []reflect.Value) (reflect.Value, error) {
	if err := c.run.check(argv); err != nil {
		return reflect.Value{}, err
	}
	return c.inner.Call(argv)
}

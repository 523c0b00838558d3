// Package jsonatasuite reads the official JSONata test suite (jsonata-js
// test/test-suite) and compares results with its expectations, for the
// tests that run it.
package jsonatasuite

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Environment variables read by the tests that run the suite.
const (
	EnvDir     = "HOOKSTREAM_JSONATA_SUITE"         // the jsonata-js test/test-suite directory
	EnvVerbose = "HOOKSTREAM_JSONATA_SUITE_VERBOSE" // "1" lists the failing cases
	EnvMin     = "HOOKSTREAM_JSONATA_SUITE_MIN"     // minimum pass rate in percent
)

// DefaultMin is the pass rate (percent) below which a suite test fails
// when HOOKSTREAM_JSONATA_SUITE_MIN is unset.
const DefaultMin = 95.0

// Run is a run of the suite as the environment asks for it.
type Run struct {
	Dir     string  // HOOKSTREAM_JSONATA_SUITE
	MinRate float64 // HOOKSTREAM_JSONATA_SUITE_MIN, or DefaultMin
	Verbose bool    // HOOKSTREAM_JSONATA_SUITE_VERBOSE=1: list the failing cases
	Groups  []Group // the suite in Dir, at least one group
}

// Required is FromEnv for a test: it fails t when the environment names
// a suite that cannot be read, and skips it, saying which variable to
// set, when it names none.
func Required(t testing.TB) *Run {
	t.Helper()
	run, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if run == nil {
		t.Skip("set " + EnvDir + " to the jsonata-js test/test-suite directory to run the official suite")
	}
	return run
}

// FromEnv reads the environment variables and loads the suite they
// name. It returns nil and no error when HOOKSTREAM_JSONATA_SUITE is
// unset, and an error when HOOKSTREAM_JSONATA_SUITE_MIN is not a
// percentage (a number, optionally followed by "%") or the suite cannot
// be read or has no groups.
func FromEnv() (*Run, error) {
	r := &Run{Dir: os.Getenv(EnvDir), MinRate: DefaultMin, Verbose: os.Getenv(EnvVerbose) == "1"}
	if r.Dir == "" {
		return nil, nil
	}
	if s := os.Getenv(EnvMin); s != "" {
		v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
		if err != nil {
			return nil, fmt.Errorf("%s=%q: not a percentage: %v", EnvMin, s, err)
		}
		r.MinRate = v
	}
	groups, err := Load(r.Dir)
	if err != nil {
		return nil, fmt.Errorf("reading the suite in %s: %v", r.Dir, err)
	}
	if len(groups) == 0 {
		return nil, fmt.Errorf("no groups in %s", filepath.Join(r.Dir, "groups"))
	}
	r.Groups = groups
	return r, nil
}

// Kind is an outcome of an evaluation: what a case expects, or what an
// evaluation produced.
type Kind int

const (
	Value     Kind = iota // a JSON value
	Undefined             // no result
	Error                 // any error, from compilation or evaluation
)

// Case is one case of the official test suite, resolved: the expression
// read (from expr or expr-file), the input read (from data or datasets/),
// and the expectation decoded.
type Case struct {
	Group string // the directory under groups/
	Name  string // the file name without .json, with "[i]" for arrays of cases

	Expr     string
	Input    []byte            // compact JSON; nil when the input is undefined
	Bindings map[string][]byte // variable name without '$' → JSON value; nil when none

	Kind      Kind            // the expected outcome
	Result    json.RawMessage // the expected value, for Value
	Unordered bool            // the expected top-level array may come in any order
	Code      string          // the expected error code, for information only

	// Bad, when set, says why the case could not be read; such a case
	// counts as failed instead of stopping the run.
	Bad string
}

// ID names the case as group/name.
func (c *Case) ID() string { return c.Group + "/" + c.Name }

// Want describes the expected outcome, for failure reports.
func (c *Case) Want() string {
	switch c.Kind {
	case Undefined:
		return "undefined"
	case Error:
		if c.Code != "" {
			return "error " + c.Code
		}
		return "error"
	}
	return string(c.Result)
}

// Compare reports whether an evaluation that produced got (and, for
// Value, the JSON out) satisfies c, and if not why. An expected error is
// met by any error (the code is not compared); an expected value by JSON
// decoding (encoding/json, numbers as float64) to a value deeply equal to
// the expected one, with top-level arrays compared as multisets when the
// case is unordered.
func (c *Case) Compare(got Kind, out []byte) (pass bool, reason string) {
	if c.Bad != "" {
		return false, "unreadable case: " + c.Bad
	}
	switch c.Kind {
	case Error:
		if got != Error {
			return false, "expected an error"
		}
		return true, ""
	case Undefined:
		if got != Undefined {
			return false, "expected undefined"
		}
		return true, ""
	}
	if got != Value {
		return false, "expected a result"
	}
	return SameJSON(c.Result, out, c.Unordered)
}

// SameJSON reports whether got is JSON decoding (encoding/json, numbers as
// float64) to a value deeply equal to want's, and if not why. With
// unordered, top-level arrays are compared as multisets.
func SameJSON(want, got []byte, unordered bool) (ok bool, why string) {
	w, err := decode(want)
	if err != nil {
		return false, "bad expected JSON: " + err.Error()
	}
	g, err := decode(got)
	if err != nil {
		return false, "result is not one JSON value: " + err.Error()
	}
	if reflect.DeepEqual(w, g) {
		return true, ""
	}
	if wa, ok := w.([]any); ok && unordered {
		if ga, ok := g.([]any); ok && sameMultiset(wa, ga) {
			return true, ""
		}
	}
	return false, "different value"
}

// decode decodes exactly one JSON value.
func decode(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("data after the value")
	}
	return v, nil
}

// sameMultiset reports whether a and b hold deeply equal elements, each
// as many times, in any order.
func sameMultiset(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	used := make([]bool, len(b))
next:
	for _, x := range a {
		for j, y := range b {
			if !used[j] && reflect.DeepEqual(x, y) {
				used[j] = true
				continue next
			}
		}
		return false
	}
	return true
}

// Group is one directory of cases.
type Group struct {
	Name  string
	Cases []*Case
}

// Load reads every group of the suite in dir (the directory holding
// groups/ and datasets/). Groups and cases come in name order. An
// unreadable case is returned with Bad set; only a missing or unreadable
// groups/ directory is an error.
func Load(dir string) ([]Group, error) {
	groupsDir := filepath.Join(dir, "groups")
	entries, err := os.ReadDir(groupsDir)
	if err != nil {
		return nil, err
	}
	ds := datasets{dir: filepath.Join(dir, "datasets"), cache: map[string][]byte{}}
	var groups []Group
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		g := Group{Name: e.Name()}
		gdir := filepath.Join(groupsDir, e.Name())
		files, err := os.ReadDir(gdir)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if f.IsDir() || !strings.HasSuffix(f.Name(), ".json") {
				continue
			}
			g.Cases = append(g.Cases, loadFile(gdir, g.Name, f.Name(), &ds)...)
		}
		groups = append(groups, g)
	}
	return groups, nil
}

// datasets reads the files of datasets/ once each.
type datasets struct {
	dir   string
	cache map[string][]byte
}

// get returns the compacted JSON of datasets/<name>.json.
func (d *datasets) get(name string) ([]byte, error) {
	if b, ok := d.cache[name]; ok {
		return b, nil
	}
	if name == "" || strings.ContainsAny(name, `/\`) {
		return nil, fmt.Errorf("bad dataset name %q", name)
	}
	raw, err := os.ReadFile(filepath.Join(d.dir, name+".json"))
	if err != nil {
		return nil, err
	}
	b, err := Compact(raw)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %v", name, err)
	}
	d.cache[name] = b
	return b, nil
}

// loadFile reads one case file, which holds a case object or an array of
// them.
func loadFile(gdir, group, file string, ds *datasets) []*Case {
	base := strings.TrimSuffix(file, ".json")
	raw, err := os.ReadFile(filepath.Join(gdir, file))
	if err != nil {
		return []*Case{{Group: group, Name: base, Bad: err.Error()}}
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return []*Case{{Group: group, Name: base, Bad: err.Error()}}
		}
		cases := make([]*Case, len(list))
		for i, item := range list {
			cases[i] = parseCase(gdir, group, fmt.Sprintf("%s[%d]", base, i), item, ds)
		}
		return cases
	}
	return []*Case{parseCase(gdir, group, base, raw, ds)}
}

// parseCase resolves one case object. Field presence matters
// ("data": null is a null input, "dataset": null an undefined one), so
// the object is read as raw fields.
func parseCase(gdir, group, name string, raw json.RawMessage, ds *datasets) *Case {
	c := &Case{Group: group, Name: name}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		c.Bad = fmt.Sprintf("not a case object: %v", err)
		return c
	}
	str := func(key string) (string, bool) {
		v, ok := fields[key]
		if !ok {
			return "", false
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			c.Bad = fmt.Sprintf("%s is not a string", key)
			return "", false
		}
		return s, true
	}

	// The expression.
	if s, ok := str("expr"); ok {
		c.Expr = s
	} else if file, ok := str("expr-file"); ok {
		if file != filepath.Base(file) {
			c.Bad = fmt.Sprintf("bad expr-file %q", file)
			return c
		}
		b, err := os.ReadFile(filepath.Join(gdir, file))
		if err != nil {
			c.Bad = err.Error()
			return c
		}
		c.Expr = string(b)
	} else if c.Bad == "" {
		c.Bad = "no expr or expr-file"
	}

	// The input.
	if data, ok := fields["data"]; ok {
		b, err := Compact(data)
		if err != nil {
			c.Bad = "data: " + err.Error()
			return c
		}
		c.Input = b
	} else if d, ok := fields["dataset"]; ok && !isNull(d) {
		var name string
		if err := json.Unmarshal(d, &name); err != nil {
			c.Bad = "dataset is not a string"
			return c
		}
		b, err := ds.get(name)
		if err != nil {
			c.Bad = err.Error()
			return c
		}
		c.Input = b
	}

	// The bindings.
	if b, ok := fields["bindings"]; ok && !isNull(b) {
		var vars map[string]json.RawMessage
		if err := json.Unmarshal(b, &vars); err != nil {
			c.Bad = "bindings: " + err.Error()
			return c
		}
		if len(vars) > 0 {
			c.Bindings = make(map[string][]byte, len(vars))
			for k, v := range vars {
				c.Bindings[k] = []byte(v)
			}
		}
	}

	// The expectation, checked in the order of jsonata-js's runner. The
	// suite also has an "error" object ({code, message}) as an alternative
	// spelling of "code".
	if u, ok := fields["undefinedResult"]; ok && !bytes.Equal(bytes.TrimSpace(u), []byte("false")) {
		c.Kind = Undefined
	} else if r, ok := fields["result"]; ok {
		c.Kind = Value
		c.Result = r
		if u, ok := fields["unordered"]; ok {
			c.Unordered = bytes.Equal(bytes.TrimSpace(u), []byte("true"))
		}
	} else if e, ok := fields["error"]; ok {
		c.Kind = Error
		var obj struct{ Code string }
		_ = json.Unmarshal(e, &obj) // the code is informative only
		c.Code = obj.Code
	} else if _, ok := fields["code"]; ok {
		c.Kind = Error
		c.Code, _ = str("code")
	} else if c.Bad == "" {
		c.Bad = "no result, undefinedResult, error or code"
	}
	return c
}

// isNull reports whether b is the JSON null.
func isNull(b []byte) bool { return bytes.Equal(bytes.TrimSpace(b), []byte("null")) }

// Compact returns raw compacted, after checking it is one JSON value.
func Compact(raw []byte) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// GroupNames returns the keys of counts (pass or total counts by group)
// in name order.
func GroupNames(counts map[string]int) []string {
	names := make([]string, 0, len(counts))
	for g := range counts {
		names = append(names, g)
	}
	sort.Strings(names)
	return names
}

// Rate returns n as a percentage of d, or 0 when d is 0.
func Rate(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return 100 * float64(n) / float64(d)
}

// Failure is one failed case, for the verbose listing.
type Failure struct {
	ID, Expr, Want, Got, Why string
}

// WriteFailures sorts failures by ID and lists them to w under the
// heading "<label>failing cases (n):"; it writes nothing when there are
// none.
func WriteFailures(w io.Writer, label string, failures []Failure) {
	if len(failures) == 0 {
		return
	}
	sort.Slice(failures, func(i, j int) bool { return failures[i].ID < failures[j].ID })
	fmt.Fprintf(w, "%sfailing cases (%d):\n", label, len(failures))
	for _, f := range failures {
		fmt.Fprintf(w, "  %s: %s\n    expr: %s\n    want: %s\n    got:  %s\n", f.ID, f.Why,
			Truncate(f.Expr, 100), Truncate(f.Want, 200), Truncate(f.Got, 200))
	}
}

// Truncate shortens s to at most n runes, marking the cut, and puts it
// on one line.
func Truncate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

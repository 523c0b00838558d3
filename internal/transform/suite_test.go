package transform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/internal/transform"
)

// Environment variables read by TestOfficialSuite.
const (
	suiteEnvDir     = "HOOKSTREAM_JSONATA_SUITE"         // the jsonata-js test/test-suite directory
	suiteEnvVerbose = "HOOKSTREAM_JSONATA_SUITE_VERBOSE" // "1" lists the failing cases
	suiteEnvMin     = "HOOKSTREAM_JSONATA_SUITE_MIN"     // minimum pass rate in percent
)

// suiteDefaultMin is the pass rate (percent) below which TestOfficialSuite
// fails when HOOKSTREAM_JSONATA_SUITE_MIN is unset.
const suiteDefaultMin = 95.0

// suiteCaseTimeout bounds the compilation and evaluation of one case.
const suiteCaseTimeout = 5 * time.Second

// suiteAbandonGrace is how long past its deadline an evaluation that
// ignores its context is waited for before it is abandoned and reported
// as hung, so that one runaway case cannot stall the whole run.
const suiteAbandonGrace = 2 * time.Second

// suiteKind is what a test case expects of an evaluation.
type suiteKind int

const (
	suiteWantResult    suiteKind = iota // a JSON value
	suiteWantUndefined                  // no result (ErrNoResult)
	suiteWantError                      // any error, from Compile or evaluation
)

// suiteCase is one case of the official test suite, resolved: the
// expression read (from expr or expr-file), the input read (from data or
// datasets/), and the expectation decoded.
type suiteCase struct {
	Group string // the directory under groups/
	Name  string // the file name without .json, with "[i]" for arrays of cases

	Expr     string
	Input    []byte            // JSON; nil when the input is undefined
	Bindings map[string][]byte // variable name without '$' → JSON value

	Kind      suiteKind
	Result    json.RawMessage // the expected value, for suiteWantResult
	Unordered bool            // the expected top-level array may come in any order
	Code      string          // the expected error code, for information only

	// Bad, when set, says why the case could not be read; such a case
	// counts as failed instead of stopping the run.
	Bad string
}

// ID names the case as group/name.
func (c *suiteCase) ID() string { return c.Group + "/" + c.Name }

// Want describes the expected outcome, for failure reports.
func (c *suiteCase) Want() string {
	switch c.Kind {
	case suiteWantUndefined:
		return "undefined"
	case suiteWantError:
		if c.Code != "" {
			return "error " + c.Code
		}
		return "error"
	}
	return string(c.Result)
}

// suiteGroup is one directory of cases.
type suiteGroup struct {
	Name  string
	Cases []*suiteCase
}

// suiteLoad reads every group of the suite in dir (the directory holding
// groups/ and datasets/). Groups and cases come in name order. An
// unreadable case is returned with Bad set; only a missing or unreadable
// groups/ directory is an error.
func suiteLoad(dir string) ([]suiteGroup, error) {
	groupsDir := filepath.Join(dir, "groups")
	entries, err := os.ReadDir(groupsDir)
	if err != nil {
		return nil, err
	}
	datasets := suiteDatasets{dir: filepath.Join(dir, "datasets"), cache: map[string][]byte{}}
	var groups []suiteGroup
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		g := suiteGroup{Name: e.Name()}
		gdir := filepath.Join(groupsDir, e.Name())
		files, err := os.ReadDir(gdir)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if f.IsDir() || !strings.HasSuffix(f.Name(), ".json") {
				continue
			}
			g.Cases = append(g.Cases, suiteLoadFile(gdir, g.Name, f.Name(), &datasets)...)
		}
		groups = append(groups, g)
	}
	return groups, nil
}

// suiteDatasets reads the files of datasets/ once each.
type suiteDatasets struct {
	dir   string
	cache map[string][]byte
}

// get returns the compacted JSON of datasets/<name>.json.
func (d *suiteDatasets) get(name string) ([]byte, error) {
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
	b, err := suiteCompact(raw)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %v", name, err)
	}
	d.cache[name] = b
	return b, nil
}

// suiteLoadFile reads one case file, which holds a case object or an
// array of them.
func suiteLoadFile(gdir, group, file string, datasets *suiteDatasets) []*suiteCase {
	base := strings.TrimSuffix(file, ".json")
	raw, err := os.ReadFile(filepath.Join(gdir, file))
	if err != nil {
		return []*suiteCase{{Group: group, Name: base, Bad: err.Error()}}
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return []*suiteCase{{Group: group, Name: base, Bad: err.Error()}}
		}
		cases := make([]*suiteCase, len(list))
		for i, item := range list {
			cases[i] = suiteParseCase(gdir, group, fmt.Sprintf("%s[%d]", base, i), item, datasets)
		}
		return cases
	}
	return []*suiteCase{suiteParseCase(gdir, group, base, raw, datasets)}
}

// suiteParseCase resolves one case object. Field presence matters
// ("data": null is a null input, "dataset": null an undefined one), so
// the object is read as raw fields.
func suiteParseCase(gdir, group, name string, raw json.RawMessage, datasets *suiteDatasets) *suiteCase {
	c := &suiteCase{Group: group, Name: name}
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
		b, err := suiteCompact(data)
		if err != nil {
			c.Bad = "data: " + err.Error()
			return c
		}
		c.Input = b
	} else if ds, ok := fields["dataset"]; ok && !bytes.Equal(bytes.TrimSpace(ds), []byte("null")) {
		var name string
		if err := json.Unmarshal(ds, &name); err != nil {
			c.Bad = "dataset is not a string"
			return c
		}
		b, err := datasets.get(name)
		if err != nil {
			c.Bad = err.Error()
			return c
		}
		c.Input = b
	}

	// The bindings.
	if b, ok := fields["bindings"]; ok && !bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
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
		c.Kind = suiteWantUndefined
	} else if r, ok := fields["result"]; ok {
		c.Kind = suiteWantResult
		c.Result = r
		if u, ok := fields["unordered"]; ok {
			c.Unordered = bytes.Equal(bytes.TrimSpace(u), []byte("true"))
		}
	} else if e, ok := fields["error"]; ok {
		c.Kind = suiteWantError
		var obj struct{ Code string }
		_ = json.Unmarshal(e, &obj) // the code is informative only
		c.Code = obj.Code
	} else if _, ok := fields["code"]; ok {
		c.Kind = suiteWantError
		c.Code, _ = str("code")
	} else if c.Bad == "" {
		c.Bad = "no result, undefinedResult, error or code"
	}
	return c
}

// suiteCompact returns raw compacted, after checking it is one JSON value.
func suiteCompact(raw []byte) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// suiteOutcome is what one evaluation produced.
type suiteOutcome struct {
	Out []byte // the result's JSON, when Err is nil
	Err error
}

// Describe renders the outcome for failure reports: the JSON, "undefined"
// or "error: ...".
func (o suiteOutcome) Describe() string {
	switch {
	case o.Err == nil:
		return string(o.Out)
	case errors.Is(o.Err, transform.ErrNoResult):
		return "undefined"
	default:
		return "error: " + o.Err.Error()
	}
}

// suiteEval compiles expr and evaluates it with EvalBindings on body
// (nil: undefined) and bindings, under timeout (see suiteGuard).
func suiteEval(expr string, body []byte, bindings map[string][]byte, timeout time.Duration) suiteOutcome {
	return suiteGuard(timeout, func(ctx context.Context) ([]byte, error) {
		p, err := transform.Compile(expr)
		if err != nil {
			return nil, err
		}
		return p.EvalBindings(ctx, body, bindings)
	})
}

// suiteGuard runs eval with a context that times out after timeout. A
// panic is returned as an error; an evaluation still running
// suiteAbandonGrace past its deadline is abandoned (its goroutine leaks)
// and reported as hung, so that one runaway case cannot stall a run.
func suiteGuard(timeout time.Duration, eval func(ctx context.Context) ([]byte, error)) suiteOutcome {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	done := make(chan suiteOutcome, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- suiteOutcome{Err: fmt.Errorf("panic: %v", r)}
			}
		}()
		out, err := eval(ctx)
		done <- suiteOutcome{Out: out, Err: err}
	}()
	select {
	case o := <-done:
		return o
	case <-ctx.Done():
	}
	grace := time.NewTimer(suiteAbandonGrace)
	defer grace.Stop()
	select {
	case o := <-done:
		return o
	case <-grace.C:
		return suiteOutcome{Err: fmt.Errorf("hung: still running %v after its %v deadline", suiteAbandonGrace, timeout)}
	}
}

// suiteCheck reports whether o satisfies c, and if not why.
func suiteCheck(c *suiteCase, o suiteOutcome) (ok bool, why string) {
	if c.Bad != "" {
		return false, "unreadable case: " + c.Bad
	}
	switch c.Kind {
	case suiteWantError:
		if o.Err == nil || errors.Is(o.Err, transform.ErrNoResult) {
			return false, "expected an error"
		}
		return true, ""
	case suiteWantUndefined:
		if errors.Is(o.Err, transform.ErrNoResult) {
			return true, ""
		}
		return false, "expected undefined"
	}
	if o.Err != nil {
		return false, "expected a result"
	}
	return suiteSameJSON(c.Result, o.Out, c.Unordered)
}

// suiteSameJSON reports whether got is JSON decoding (encoding/json,
// numbers as float64) to a value deeply equal to want's. With unordered,
// top-level arrays are compared as multisets.
func suiteSameJSON(want, got []byte, unordered bool) (ok bool, why string) {
	w, err := suiteDecode(want)
	if err != nil {
		return false, "bad expected JSON: " + err.Error()
	}
	g, err := suiteDecode(got)
	if err != nil {
		return false, "result is not one JSON value: " + err.Error()
	}
	if reflect.DeepEqual(w, g) {
		return true, ""
	}
	if wa, ok := w.([]any); ok && unordered {
		if ga, ok := g.([]any); ok && suiteSameMultiset(wa, ga) {
			return true, ""
		}
	}
	return false, "different value"
}

// suiteDecode decodes exactly one JSON value.
func suiteDecode(b []byte) (any, error) {
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

// suiteSameMultiset reports whether a and b hold deeply equal elements,
// each as many times, in any order.
func suiteSameMultiset(a, b []any) bool {
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

// suiteTruncate shortens s to at most n runes, marking the cut, and
// puts it on one line.
func suiteTruncate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// suiteFailure is one failed case, for the verbose listing.
type suiteFailure struct {
	ID, Expr, Want, Got, Why string
}

// suiteTally collects the per-group counts of the groups that ran.
type suiteTally struct {
	mu       sync.Mutex
	pass     map[string]int
	total    map[string]int
	failures []suiteFailure
}

// add records the outcome of one case.
func (s *suiteTally) add(c *suiteCase, passed bool, f suiteFailure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total[c.Group]++
	if passed {
		s.pass[c.Group]++
	} else {
		s.failures = append(s.failures, f)
	}
}

// TestOfficialSuite runs the official JSONata test suite (jsonata-js
// test/test-suite) from the directory named by HOOKSTREAM_JSONATA_SUITE,
// one subtest per group, and prints the pass counts by group and in
// total. Individual failures do not fail the test; a total pass rate
// below HOOKSTREAM_JSONATA_SUITE_MIN percent (default 95) does. With
// HOOKSTREAM_JSONATA_SUITE_VERBOSE=1 the failing cases are listed.
//
// A case passes when its expected result decodes to a value deeply equal
// to ours, when it expects undefined and Eval returns ErrNoResult, or
// when it expects an error code and Compile or Eval fails (the code
// itself is not compared). Depth and time limits of cases are not passed
// on; each case runs under a 5 s context timeout.
func TestOfficialSuite(t *testing.T) {
	dir := os.Getenv(suiteEnvDir)
	if dir == "" {
		t.Skip("set HOOKSTREAM_JSONATA_SUITE to the jsonata-js test/test-suite directory to run the official suite")
	}
	minRate := suiteDefaultMin
	if s := os.Getenv(suiteEnvMin); s != "" {
		v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
		if err != nil {
			t.Fatalf("%s=%q: not a percentage: %v", suiteEnvMin, s, err)
		}
		minRate = v
	}
	verbose := os.Getenv(suiteEnvVerbose) == "1"
	groups, err := suiteLoad(dir)
	if err != nil {
		t.Fatalf("reading the suite in %s: %v", dir, err)
	}
	if len(groups) == 0 {
		t.Fatalf("no groups in %s", filepath.Join(dir, "groups"))
	}

	tally := &suiteTally{pass: map[string]int{}, total: map[string]int{}}
	// The cleanup runs after every parallel group subtest has finished.
	t.Cleanup(func() { suiteSummarize(t, tally, minRate, verbose) })
	for _, g := range groups {
		t.Run(g.Name, func(t *testing.T) {
			t.Parallel()
			passed := 0
			for _, c := range g.Cases {
				var o suiteOutcome
				if c.Bad == "" {
					o = suiteEval(c.Expr, c.Input, c.Bindings, suiteCaseTimeout)
				}
				ok, why := suiteCheck(c, o)
				f := suiteFailure{ID: c.ID(), Expr: c.Expr, Want: c.Want(), Got: o.Describe(), Why: why}
				if c.Bad != "" {
					f.Got = "-"
				}
				tally.add(c, ok, f)
				if ok {
					passed++
				}
			}
			t.Logf("%s: %d / %d", g.Name, passed, len(g.Cases))
		})
	}
}

// suiteSummarize prints the table of pass counts of the groups that ran
// (and, verbose, the failures) to stdout and fails t below minRate.
func suiteSummarize(t *testing.T, s *suiteTally, minRate float64, verbose bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.total) == 0 {
		return
	}
	names := make([]string, 0, len(s.total))
	for g := range s.total {
		names = append(names, g)
	}
	sort.Strings(names)
	var b strings.Builder
	pass, total := 0, 0
	fmt.Fprintf(&b, "JSONata official suite (%s)\n", os.Getenv(suiteEnvDir))
	for _, g := range names {
		mark := ""
		if s.pass[g] < s.total[g] {
			mark = "  *"
		}
		fmt.Fprintf(&b, "  %-34s %4d / %-4d%s\n", g, s.pass[g], s.total[g], mark)
		pass += s.pass[g]
		total += s.total[g]
	}
	rate := 100 * float64(pass) / float64(total)
	line := fmt.Sprintf("total: %d / %d (%.1f%%)", pass, total, rate)
	fmt.Fprintf(&b, "  %s\n", line)
	if verbose && len(s.failures) > 0 {
		sort.Slice(s.failures, func(i, j int) bool { return s.failures[i].ID < s.failures[j].ID })
		fmt.Fprintf(&b, "failing cases (%d):\n", len(s.failures))
		for _, f := range s.failures {
			fmt.Fprintf(&b, "  %s: %s\n    expr: %s\n    want: %s\n    got:  %s\n", f.ID, f.Why,
				suiteTruncate(f.Expr, 100), suiteTruncate(f.Want, 200), suiteTruncate(f.Got, 200))
		}
	}
	fmt.Print(b.String())
	t.Log(line)
	if rate < minRate {
		t.Errorf("official suite pass rate %.1f%% (%d / %d) is below %s=%g%%", rate, pass, total, suiteEnvMin, minRate)
	}
}

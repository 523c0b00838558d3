package transform_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/internal/transform"
	"github.com/hookstream-go/hookstream/internal/transform/jsonatasuite"
)

// suiteCaseTimeout bounds the compilation and evaluation of one case.
const suiteCaseTimeout = 5 * time.Second

// suiteAbandonGrace is how long past its deadline an evaluation that
// ignores its context is waited for before it is abandoned and reported
// as hung, so that one runaway case cannot stall the whole run.
const suiteAbandonGrace = 2 * time.Second

// suiteCase is one case of the official test suite (see jsonatasuite).
type suiteCase = jsonatasuite.Case

// What a test case expects of an evaluation.
const (
	suiteWantResult    = jsonatasuite.Value     // a JSON value
	suiteWantUndefined = jsonatasuite.Undefined // no result (ErrNoResult)
	suiteWantError     = jsonatasuite.Error     // any error, from Compile or evaluation
)

// suiteCompact returns raw compacted, after checking it is one JSON value.
func suiteCompact(raw []byte) ([]byte, error) { return jsonatasuite.Compact(raw) }

// suiteSameJSON reports whether got is JSON decoding to a value deeply
// equal to want's (see jsonatasuite.SameJSON).
func suiteSameJSON(want, got []byte, unordered bool) (ok bool, why string) {
	return jsonatasuite.SameJSON(want, got, unordered)
}

// suiteTruncate shortens s to at most n runes, marking the cut, and
// puts it on one line.
func suiteTruncate(s string, n int) string { return jsonatasuite.Truncate(s, n) }

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

// suiteCheck reports whether o satisfies c, and if not why: ErrNoResult
// is an undefined result, any other error an error.
func suiteCheck(c *suiteCase, o suiteOutcome) (ok bool, why string) {
	switch {
	case o.Err == nil:
		return c.Compare(jsonatasuite.Value, o.Out)
	case errors.Is(o.Err, transform.ErrNoResult):
		return c.Compare(jsonatasuite.Undefined, nil)
	default:
		return c.Compare(jsonatasuite.Error, nil)
	}
}

// suiteTally collects the per-group counts of the groups that ran.
type suiteTally struct {
	mu       sync.Mutex
	pass     map[string]int
	total    map[string]int
	failures []jsonatasuite.Failure
}

// add records the outcome of one case.
func (s *suiteTally) add(c *suiteCase, passed bool, f jsonatasuite.Failure) {
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
	run := jsonatasuite.Required(t)
	minRate, verbose, groups := run.MinRate, run.Verbose, run.Groups

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
				f := jsonatasuite.Failure{ID: c.ID(), Expr: c.Expr, Want: c.Want(), Got: o.Describe(), Why: why}
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
	var b strings.Builder
	pass, total := 0, 0
	fmt.Fprintf(&b, "JSONata official suite (%s)\n", os.Getenv(jsonatasuite.EnvDir))
	for _, g := range jsonatasuite.GroupNames(s.total) {
		mark := ""
		if s.pass[g] < s.total[g] {
			mark = "  *"
		}
		fmt.Fprintf(&b, "  %-34s %4d / %-4d%s\n", g, s.pass[g], s.total[g], mark)
		pass += s.pass[g]
		total += s.total[g]
	}
	rate := jsonatasuite.Rate(pass, total)
	line := fmt.Sprintf("total: %d / %d (%.1f%%)", pass, total, rate)
	fmt.Fprintf(&b, "  %s\n", line)
	if verbose {
		jsonatasuite.WriteFailures(&b, "", s.failures)
	}
	fmt.Print(b.String())
	t.Log(line)
	if rate < minRate {
		t.Errorf("official suite pass rate %.1f%% (%d / %d) is below %s=%g%%", rate, pass, total, jsonatasuite.EnvMin, minRate)
	}
}

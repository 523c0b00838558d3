package transform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/internal/transform"
)

// diffEnvReference names a directory containing node_modules/jsonata (the
// reference implementation, jsonata-js), e.g. one where `npm install
// jsonata` was run.
const diffEnvReference = "HOOKSTREAM_JSONATA_REFERENCE"

// diffDir holds the differential test's expressions, payloads, list of
// known differences and the node runner.
var diffDir = filepath.Join("testdata", "differential")

// diffRunnerTimeout bounds the single node process evaluating every case.
const diffRunnerTimeout = 5 * time.Minute

// diffCase is one entry of expressions.json: an expression evaluated on
// the payload payloads/<Payload>.json.
type diffCase struct {
	Name    string `json:"name"`
	Payload string `json:"payload"`
	Expr    string `json:"expr"`
}

// diffRefCase is one case sent to runner.js. A nil Input is undefined.
type diffRefCase struct {
	Expr     string                     `json:"expr"`
	Input    json.RawMessage            `json:"input,omitempty"`
	Bindings map[string]json.RawMessage `json:"bindings,omitempty"`
}

// diffRefResult is runner.js's answer for one case: exactly one of
// Result, Undefined and Error is set.
type diffRefResult struct {
	Result    json.RawMessage `json:"result,omitempty"`
	Undefined bool            `json:"undefined,omitempty"`
	Error     *string         `json:"error,omitempty"`
}

// Describe renders the reference's answer like suiteOutcome.Describe.
func (r diffRefResult) Describe() string {
	switch {
	case r.Error != nil:
		return "error: " + *r.Error
	case r.Undefined:
		return "undefined"
	}
	return string(r.Result)
}

// diffReference returns the reference directory from the environment, or
// skips t naming the variable.
func diffReference(t *testing.T) string {
	t.Helper()
	dir := os.Getenv(diffEnvReference)
	if dir == "" {
		t.Skipf("set %s to a directory containing node_modules/jsonata (jsonata-js) to compare with the reference implementation", diffEnvReference)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "jsonata")); err != nil {
		t.Fatalf("%s=%s: %v", diffEnvReference, dir, err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("%s is set but node is not on PATH: %v", diffEnvReference, err)
	}
	return dir
}

// diffRunReference evaluates cases with the reference implementation in
// dir, in one node process running testdata/differential/runner.js, and
// returns its answers in order.
func diffRunReference(t *testing.T, dir string, cases []diffRefCase) []diffRefResult {
	t.Helper()
	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	runner, err := filepath.Abs(filepath.Join(diffDir, "runner.js"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), diffRunnerTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", runner, dir)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\n%s", runner, err, stderr.Bytes())
	}
	var results []diffRefResult
	if err := json.Unmarshal(stdout.Bytes(), &results); err != nil {
		t.Fatalf("node %s: bad output: %v\n%s", runner, err, suiteTruncate(stdout.String(), 500))
	}
	if len(results) != len(cases) {
		t.Fatalf("node %s: %d results for %d cases", runner, len(results), len(cases))
	}
	for i, r := range results {
		n := 0
		if r.Result != nil {
			n++
		}
		if r.Undefined {
			n++
		}
		if r.Error != nil {
			n++
		}
		if n != 1 {
			t.Fatalf("node %s: result %d is not one of {result}, {undefined}, {error}", runner, i)
		}
	}
	return results
}

// diffSame reports whether our outcome and the reference's agree: equal
// JSON values (compared as in the official suite), both undefined, or
// both errors (messages and codes are not compared).
func diffSame(ours suiteOutcome, ref diffRefResult) bool {
	switch {
	case ref.Error != nil:
		return ours.Err != nil && !errors.Is(ours.Err, transform.ErrNoResult)
	case ref.Undefined:
		return errors.Is(ours.Err, transform.ErrNoResult)
	case ours.Err != nil:
		return false
	}
	ok, _ := suiteSameJSON(ref.Result, ours.Out, false)
	return ok
}

// diffLoad reads expressions.json, the payloads it names and known.json.
func diffLoad(t *testing.T) (cases []diffCase, payloads map[string][]byte, known map[string]string) {
	t.Helper()
	readJSON := func(name string, v any) {
		b, err := os.ReadFile(filepath.Join(diffDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	readJSON("expressions.json", &cases)
	readJSON("known.json", &known)
	if len(cases) == 0 {
		t.Fatal("expressions.json holds no cases")
	}
	payloads = map[string][]byte{}
	seen := map[string]bool{}
	for _, c := range cases {
		if c.Name == "" || seen[c.Name] {
			t.Fatalf("expressions.json: missing or duplicate name %q", c.Name)
		}
		seen[c.Name] = true
		if _, ok := payloads[c.Payload]; ok {
			continue
		}
		if c.Payload == "" || c.Payload != filepath.Base(c.Payload) {
			t.Fatalf("expressions.json: %s: bad payload name %q", c.Name, c.Payload)
		}
		b, err := os.ReadFile(filepath.Join(diffDir, "payloads", c.Payload+".json"))
		if err != nil {
			t.Fatalf("expressions.json: %s: %v", c.Name, err)
		}
		if b, err = suiteCompact(b); err != nil {
			t.Fatalf("payload %s: %v", c.Payload, err)
		}
		payloads[c.Payload] = b
	}
	for name := range known {
		if !seen[name] {
			t.Errorf("known.json lists %q, which is not in expressions.json", name)
		}
	}
	return cases, payloads, known
}

// TestDifferentialReference evaluates realistic webhook reshapes
// (testdata/differential/expressions.json on the payloads in
// testdata/differential/payloads) with Program.Eval and with the reference
// implementation, jsonata-js, found through HOOKSTREAM_JSONATA_REFERENCE,
// and reports every case where they differ. A difference listed in
// known.json (case name → reason) is only logged.
func TestDifferentialReference(t *testing.T) {
	dir := diffReference(t)
	cases, payloads, known := diffLoad(t)

	refCases := make([]diffRefCase, len(cases))
	for i, c := range cases {
		refCases[i] = diffRefCase{Expr: c.Expr, Input: payloads[c.Payload]}
	}
	refs := diffRunReference(t, dir, refCases)

	var ran, differ, knownDiffer atomic.Int64
	t.Cleanup(func() {
		t.Logf("%d / %d cases differ from the reference (%d of them listed in known.json)",
			differ.Load(), ran.Load(), knownDiffer.Load())
	})
	for i, c := range cases {
		ref := refs[i]
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			ran.Add(1)
			ours := suiteGuard(suiteCaseTimeout, func(ctx context.Context) ([]byte, error) {
				p, err := transform.Compile(c.Expr)
				if err != nil {
					return nil, err
				}
				return p.Eval(ctx, payloads[c.Payload])
			})
			same := diffSame(ours, ref)
			reason, isKnown := known[c.Name]
			switch {
			case same && isKnown:
				t.Logf("listed in known.json (%s) but now agrees with the reference; remove it", reason)
			case same:
			case isKnown:
				differ.Add(1)
				knownDiffer.Add(1)
				t.Logf("known difference (%s)\n%s", reason, diffReport(c, ours, ref))
			default:
				differ.Add(1)
				t.Errorf("differs from the reference\n%s", diffReport(c, ours, ref))
			}
		})
	}
}

// diffReport describes a difference: expression, payload, both outcomes.
func diffReport(c diffCase, ours suiteOutcome, ref diffRefResult) string {
	return fmt.Sprintf("\texpr:      %s\n\tpayload:   %s\n\tours:      %s\n\treference: %s",
		c.Expr, c.Payload, suiteTruncate(ours.Describe(), 400), suiteTruncate(ref.Describe(), 400))
}

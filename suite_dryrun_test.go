package hookstream

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/internal/transform/jsonatasuite"
)

// drySuiteCaseTimeout bounds one dry run (REST or Go API) of one case.
const drySuiteCaseTimeout = 10 * time.Second

// drySuiteNoResult is the transform_error of an expression that evaluates
// to nothing (transform.ErrNoResult).
const drySuiteNoResult = "expression returned nothing"

// drySuiteBadInput is in the transform_error of a body that is not JSON
// (such as the empty body of a dry run without a payload).
const drySuiteBadInput = "input is not valid JSON"

// drySuiteOutcome is what one path produced for a case.
type drySuiteOutcome struct {
	Refused        string          // the create's 400 message, when refused
	Transformed    json.RawMessage // the result JSON, when TransformError is nil
	TransformError *string
	Broken         string // the path itself failed (unexpected status, bad answer)
}

func (o drySuiteOutcome) Describe() string {
	switch {
	case o.Broken != "":
		return "broken: " + o.Broken
	case o.Refused != "":
		return "create refused (400): " + o.Refused
	case o.TransformError != nil:
		return "transform_error: " + *o.TransformError
	}
	return string(o.Transformed)
}

// drySuiteCheck reports whether o satisfies c, and if not why. A refused
// create is an error, as is a transform_error other than "nothing", which
// is an undefined result.
func drySuiteCheck(c *jsonatasuite.Case, o drySuiteOutcome) (bool, string) {
	got := jsonatasuite.Value
	switch {
	case c.Bad != "":
	case o.Broken != "":
		return false, "path failed"
	case o.Refused != "":
		if c.Kind == jsonatasuite.Value {
			return false, "create refused"
		}
		got = jsonatasuite.Error
	case o.TransformError != nil && strings.Contains(*o.TransformError, drySuiteNoResult):
		got = jsonatasuite.Undefined
	case o.TransformError != nil:
		got = jsonatasuite.Error
	}
	ok, why := c.Compare(got, o.Transformed)
	if rest, cut := strings.CutPrefix(why, "result is not one JSON value"); cut {
		why = "transformed is not one JSON value" + rest
	}
	return ok, why
}

// drySuiteREST sends one request to r's handler with the test key and a
// deadline, and returns the status and body.
func drySuiteREST(r *Router, method, path string, body []byte) (int, []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), drySuiteCaseTimeout)
	defer cancel()
	req := httptest.NewRequest(method, path, bytes.NewReader(body)).WithContext(ctx)
	req.Header.Set("X-API-Key", testKey)
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	r.Handler().ServeHTTP(w, req)
	return w.Code, w.Body.Bytes()
}

// drySuiteTestBody is the dry run request: the input as payload, or no
// payload field when the input is undefined.
func drySuiteTestBody(input []byte) []byte {
	if input == nil {
		return []byte(`{}`)
	}
	b := make([]byte, 0, len(input)+16)
	b = append(b, `{"payload":`...)
	b = append(b, input...)
	return append(b, '}')
}

// drySuiteDryRunREST runs POST /v1/connections/{id}/test.
func drySuiteDryRunREST(r *Router, connID string, input []byte) drySuiteOutcome {
	status, body := drySuiteREST(r, "POST", "/v1/connections/"+connID+"/test", drySuiteTestBody(input))
	if status != http.StatusOK {
		return drySuiteOutcome{Broken: fmt.Sprintf("dry run status %d: %s", status, jsonatasuite.Truncate(string(body), 200))}
	}
	var res struct {
		Transformed    json.RawMessage `json:"transformed"`
		TransformError *string         `json:"transform_error"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return drySuiteOutcome{Broken: "dry run answer: " + err.Error()}
	}
	return drySuiteOutcome{Transformed: res.Transformed, TransformError: res.TransformError}
}

// drySuiteDryRunGo runs Router.TestConnection.
func drySuiteDryRunGo(r *Router, connID string, input []byte) drySuiteOutcome {
	ctx, cancel := context.WithTimeout(context.Background(), drySuiteCaseTimeout)
	defer cancel()
	res, err := r.TestConnection(ctx, connID, TestParams{Payload: json.RawMessage(input)})
	if err != nil {
		return drySuiteOutcome{Broken: "TestConnection: " + err.Error()}
	}
	return drySuiteOutcome{Transformed: res.Transformed, TransformError: res.TransformError}
}

// drySuitePath tallies one path (REST or Go API).
type drySuitePath struct {
	name     string
	pass     map[string]int
	failures []jsonatasuite.Failure
	// undefinedPass counts the passing cases whose input is undefined.
	undefinedPass int
}

// drySuiteTally collects the per-group counts of both paths.
type drySuiteTally struct {
	mu           sync.Mutex
	total        map[string]int
	notExpr      map[string]int
	undefinedIn  int // cases run with an undefined input
	rest, goapi  drySuitePath
	errOnlyNoRes int // error cases that would pass only by counting "returned nothing" as an error
	// errOnlyInput counts the undefined-input error cases that pass only
	// because the absent payload is refused as invalid JSON.
	errOnlyInput int
	// nullPass counts the undefined-input cases that would pass with
	// "payload": null instead (informative; not in the totals).
	nullPass      int
	refusedCreate []string
}

func (s *drySuiteTally) record(p *drySuitePath, c *jsonatasuite.Case, o drySuiteOutcome) {
	ok, why := drySuiteCheck(c, o)
	if ok {
		p.pass[c.Group]++
		if c.Input == nil {
			p.undefinedPass++
		}
		return
	}
	p.failures = append(p.failures, jsonatasuite.Failure{ID: c.ID(), Expr: c.Expr, Want: c.Want(), Got: o.Describe(), Why: why})
}

// TestOfficialSuite_DryRun runs the official JSONata test suite (the
// directory named by HOOKSTREAM_JSONATA_SUITE) through the public paths of
// a transform: each case's expression becomes a connection's transform
// (POST /v1/connections) and its input the payload of a dry run, through
// REST (POST /v1/connections/{id}/test) and through the Go API
// (Router.TestConnection). Cases that bind variables cannot be expressed
// through these paths and are counted apart. An undefined input is sent
// as no payload field. The test fails when the REST pass rate over all
// cases is below HOOKSTREAM_JSONATA_SUITE_MIN percent (default 95); with
// HOOKSTREAM_JSONATA_SUITE_VERBOSE=1 the failing cases are listed.
func TestOfficialSuite_DryRun(t *testing.T) {
	run := jsonatasuite.Required(t)
	minRate, verbose, groups := run.MinRate, run.Verbose, run.Groups

	r := setup(t, nil)
	src := mustCall(t, r, "POST", "/v1/sources", map[string]any{"name": "suite"}, 201)["source"].(map[string]any)
	dst := mustCall(t, r, "POST", "/v1/destinations", map[string]any{"name": "suite", "url": "https://example.com/hooks"}, 201)["destination"].(map[string]any)
	srcID, dstID := src["id"].(string), dst["id"].(string)

	// What the dry run does with an absent payload: the transform's input
	// as $type($) sees it, or its error.
	probe := mustCall(t, r, "POST", "/v1/connections", map[string]any{
		"source_id": srcID, "destination_id": dstID, "name": "suite probe",
		"transform_enabled": true, "transform_expression": `$type($)`,
	}, 201)["connection"].(map[string]any)
	absent := drySuiteDryRunREST(r, probe["id"].(string), nil)
	absentNote := "absent payload: the transform sees " + absent.Describe()

	tally := &drySuiteTally{
		total: map[string]int{}, notExpr: map[string]int{},
		rest:  drySuitePath{name: "REST", pass: map[string]int{}},
		goapi: drySuitePath{name: "Go API", pass: map[string]int{}},
	}
	t.Cleanup(func() { drySuiteSummarize(t, tally, absentNote, minRate, verbose) })
	for _, g := range groups {
		t.Run(g.Name, func(t *testing.T) {
			t.Parallel()
			for _, c := range g.Cases {
				drySuiteRun(r, srcID, dstID, c, tally)
			}
			tally.mu.Lock()
			t.Logf("%s: REST %d / %d, Go API %d / %d (%d not expressible)", g.Name,
				tally.rest.pass[g.Name], len(g.Cases), tally.goapi.pass[g.Name], len(g.Cases), tally.notExpr[g.Name])
			tally.mu.Unlock()
		})
	}
}

// drySuiteRun runs one case through both paths and records the outcomes.
func drySuiteRun(r *Router, srcID, dstID string, c *jsonatasuite.Case, tally *drySuiteTally) {
	var rest, goapi drySuiteOutcome
	switch {
	case c.Bad != "":
	case len(c.Bindings) > 0:
		tally.mu.Lock()
		tally.total[c.Group]++
		tally.notExpr[c.Group]++
		tally.mu.Unlock()
		return
	default:
		create, err := json.Marshal(map[string]any{
			"source_id": srcID, "destination_id": dstID, "name": "suite " + c.ID(),
			"transform_enabled": true, "transform_expression": c.Expr,
		})
		if err != nil {
			rest.Broken = "marshal: " + err.Error()
			goapi = rest
			break
		}
		status, body := drySuiteREST(r, "POST", "/v1/connections", create)
		switch status {
		case http.StatusCreated:
			var res struct {
				Connection struct {
					ID string `json:"id"`
				} `json:"connection"`
			}
			if err := json.Unmarshal(body, &res); err != nil || res.Connection.ID == "" {
				rest.Broken = fmt.Sprintf("create answer %s", jsonatasuite.Truncate(string(body), 200))
				goapi = rest
				break
			}
			rest = drySuiteDryRunREST(r, res.Connection.ID, c.Input)
			goapi = drySuiteDryRunGo(r, res.Connection.ID, c.Input)
			if c.Input == nil {
				ok, _ := drySuiteCheck(c, drySuiteDryRunREST(r, res.Connection.ID, []byte("null")))
				if ok {
					tally.mu.Lock()
					tally.nullPass++
					tally.mu.Unlock()
				}
			}
		case http.StatusBadRequest:
			// No connection: the Go API path has nothing to run either.
			var res struct {
				Error string `json:"error"`
			}
			msg := jsonatasuite.Truncate(string(body), 200)
			if json.Unmarshal(body, &res) == nil && res.Error != "" {
				msg = res.Error
			}
			rest.Refused = msg
			goapi = rest
		default:
			rest.Broken = fmt.Sprintf("create status %d: %s", status, jsonatasuite.Truncate(string(body), 200))
			goapi = rest
		}
	}
	tally.mu.Lock()
	defer tally.mu.Unlock()
	tally.total[c.Group]++
	if c.Bad == "" && c.Input == nil {
		tally.undefinedIn++
	}
	if c.Kind == jsonatasuite.Error && rest.Refused == "" && rest.TransformError != nil && strings.Contains(*rest.TransformError, drySuiteNoResult) {
		tally.errOnlyNoRes++
	}
	if c.Kind == jsonatasuite.Error && c.Input == nil && rest.TransformError != nil && strings.Contains(*rest.TransformError, drySuiteBadInput) {
		tally.errOnlyInput++
	}
	if rest.Refused != "" {
		tally.refusedCreate = append(tally.refusedCreate, c.ID())
	}
	tally.record(&tally.rest, c, rest)
	tally.record(&tally.goapi, c, goapi)
}

// drySuiteSummarize prints the per-group table of both paths (and,
// verbose, the failures) and fails t when the REST rate is below minRate.
func drySuiteSummarize(t *testing.T, s *drySuiteTally, absentNote string, minRate float64, verbose bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.total) == 0 {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "JSONata official suite through the dry run (%s)\n", os.Getenv(jsonatasuite.EnvDir))
	fmt.Fprintf(&b, "  %-34s %11s %11s %s\n", "group", "REST", "Go API", "not expressible")
	total, restPass, goPass, notExpr := 0, 0, 0, 0
	for _, g := range jsonatasuite.GroupNames(s.total) {
		mark := ""
		if s.rest.pass[g]+s.notExpr[g] < s.total[g] || s.goapi.pass[g]+s.notExpr[g] < s.total[g] {
			mark = "  *"
		}
		ne := ""
		if s.notExpr[g] > 0 {
			ne = strconv.Itoa(s.notExpr[g])
		}
		fmt.Fprintf(&b, "  %-34s %4d / %-4d %4d / %-4d %s%s\n", g, s.rest.pass[g], s.total[g], s.goapi.pass[g], s.total[g], ne, mark)
		total += s.total[g]
		restPass += s.rest.pass[g]
		goPass += s.goapi.pass[g]
		notExpr += s.notExpr[g]
	}
	expressible := total - notExpr
	rate := jsonatasuite.Rate
	restRate := rate(restPass, total)
	lines := []string{
		fmt.Sprintf("REST total: %d / %d (%.1f%%); of the %d expressible: %.1f%%", restPass, total, restRate, expressible, rate(restPass, expressible)),
		fmt.Sprintf("Go API total: %d / %d (%.1f%%); of the %d expressible: %.1f%%", goPass, total, rate(goPass, total), expressible, rate(goPass, expressible)),
		fmt.Sprintf("not expressible (bindings): %d", notExpr),
		fmt.Sprintf("undefined input (no payload field): %d cases, passing REST %d, Go API %d (of which %d error cases only through the refused empty input); %s", s.undefinedIn, s.rest.undefinedPass, s.goapi.undefinedPass, s.errOnlyInput, absentNote),
		fmt.Sprintf("undefined input sent as \"payload\": null instead (informative, not in the totals): %d / %d would pass", s.nullPass, s.undefinedIn),
		fmt.Sprintf("create refused (400): %d; error cases answered only \"%s\" (counted failing): %d", len(s.refusedCreate), drySuiteNoResult, s.errOnlyNoRes),
	}
	for _, l := range lines {
		fmt.Fprintf(&b, "  %s\n", l)
	}
	if verbose {
		for _, p := range []*drySuitePath{&s.rest, &s.goapi} {
			jsonatasuite.WriteFailures(&b, p.name+" ", p.failures)
		}
	}
	if testing.Verbose() {
		fmt.Print(b.String())
	}
	for _, l := range lines {
		t.Log(l)
	}
	if restRate < minRate {
		t.Errorf("REST dry run pass rate %.1f%% (%d / %d) is below %s=%g%%", restRate, restPass, total, jsonatasuite.EnvMin, minRate)
	}
}

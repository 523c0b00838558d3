package hookstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Environment variables read by TestOfficialSuite_DryRun (the same as the
// internal runner's, internal/transform/suite_test.go).
const (
	drySuiteEnvDir     = "HOOKSTREAM_JSONATA_SUITE"         // the jsonata-js test/test-suite directory
	drySuiteEnvVerbose = "HOOKSTREAM_JSONATA_SUITE_VERBOSE" // "1" lists the failing cases
	drySuiteEnvMin     = "HOOKSTREAM_JSONATA_SUITE_MIN"     // minimum REST pass rate in percent
)

// drySuiteDefaultMin is the REST pass rate (percent) below which the test
// fails when HOOKSTREAM_JSONATA_SUITE_MIN is unset.
const drySuiteDefaultMin = 95.0

// drySuiteCaseTimeout bounds one dry run (REST or Go API) of one case.
const drySuiteCaseTimeout = 10 * time.Second

// drySuiteNoResult is the transform_error of an expression that evaluates
// to nothing (transform.ErrNoResult).
const drySuiteNoResult = "expression returned nothing"

// drySuiteBadInput is in the transform_error of a body that is not JSON
// (such as the empty body of a dry run without a payload).
const drySuiteBadInput = "input is not valid JSON"

// drySuiteKind is what a test case expects of an evaluation.
type drySuiteKind int

const (
	drySuiteWantResult    drySuiteKind = iota // a JSON value
	drySuiteWantUndefined                     // no result
	drySuiteWantError                         // any error, at create or at evaluation
)

// drySuiteCase is one resolved case of the official suite.
type drySuiteCase struct {
	Group, Name string
	Expr        string
	Input       []byte // compact JSON; nil when the input is undefined
	Bindings    bool   // the case binds variables: not expressible here
	Kind        drySuiteKind
	Result      json.RawMessage
	Unordered   bool
	Code        string
	Bad         string // why the case could not be read
}

func (c *drySuiteCase) ID() string { return c.Group + "/" + c.Name }

func (c *drySuiteCase) Want() string {
	switch c.Kind {
	case drySuiteWantUndefined:
		return "undefined"
	case drySuiteWantError:
		if c.Code != "" {
			return "error " + c.Code
		}
		return "error"
	}
	return string(c.Result)
}

type drySuiteGroup struct {
	Name  string
	Cases []*drySuiteCase
}

// drySuiteLoad reads every group of the suite in dir, in name order (the
// loading rules of the internal runner).
func drySuiteLoad(dir string) ([]drySuiteGroup, error) {
	groupsDir := filepath.Join(dir, "groups")
	entries, err := os.ReadDir(groupsDir)
	if err != nil {
		return nil, err
	}
	datasets := map[string][]byte{}
	dataset := func(name string) ([]byte, error) {
		if b, ok := datasets[name]; ok {
			return b, nil
		}
		if name == "" || strings.ContainsAny(name, `/\`) {
			return nil, fmt.Errorf("bad dataset name %q", name)
		}
		raw, err := os.ReadFile(filepath.Join(dir, "datasets", name+".json"))
		if err != nil {
			return nil, err
		}
		b, err := drySuiteCompact(raw)
		if err != nil {
			return nil, fmt.Errorf("dataset %s: %v", name, err)
		}
		datasets[name] = b
		return b, nil
	}
	var groups []drySuiteGroup
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		g := drySuiteGroup{Name: e.Name()}
		gdir := filepath.Join(groupsDir, e.Name())
		files, err := os.ReadDir(gdir)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if f.IsDir() || !strings.HasSuffix(f.Name(), ".json") {
				continue
			}
			base := strings.TrimSuffix(f.Name(), ".json")
			raw, err := os.ReadFile(filepath.Join(gdir, f.Name()))
			if err != nil {
				g.Cases = append(g.Cases, &drySuiteCase{Group: g.Name, Name: base, Bad: err.Error()})
				continue
			}
			raw = bytes.TrimSpace(raw)
			if len(raw) > 0 && raw[0] == '[' {
				var list []json.RawMessage
				if err := json.Unmarshal(raw, &list); err != nil {
					g.Cases = append(g.Cases, &drySuiteCase{Group: g.Name, Name: base, Bad: err.Error()})
					continue
				}
				for i, item := range list {
					g.Cases = append(g.Cases, drySuiteParse(gdir, g.Name, fmt.Sprintf("%s[%d]", base, i), item, dataset))
				}
				continue
			}
			g.Cases = append(g.Cases, drySuiteParse(gdir, g.Name, base, raw, dataset))
		}
		groups = append(groups, g)
	}
	return groups, nil
}

// drySuiteParse resolves one case object; field presence matters
// ("data": null is a null input, "dataset": null an undefined one).
func drySuiteParse(gdir, group, name string, raw json.RawMessage, dataset func(string) ([]byte, error)) *drySuiteCase {
	c := &drySuiteCase{Group: group, Name: name}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		c.Bad = fmt.Sprintf("not a case object: %v", err)
		return c
	}
	isNull := func(b []byte) bool { return bytes.Equal(bytes.TrimSpace(b), []byte("null")) }
	str := func(key string) (string, bool) {
		v, ok := fields[key]
		if !ok {
			return "", false
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			c.Bad = key + " is not a string"
			return "", false
		}
		return s, true
	}

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

	if data, ok := fields["data"]; ok {
		b, err := drySuiteCompact(data)
		if err != nil {
			c.Bad = "data: " + err.Error()
			return c
		}
		c.Input = b
	} else if ds, ok := fields["dataset"]; ok && !isNull(ds) {
		var name string
		if err := json.Unmarshal(ds, &name); err != nil {
			c.Bad = "dataset is not a string"
			return c
		}
		b, err := dataset(name)
		if err != nil {
			c.Bad = err.Error()
			return c
		}
		c.Input = b
	}

	if b, ok := fields["bindings"]; ok && !isNull(b) {
		var vars map[string]json.RawMessage
		if err := json.Unmarshal(b, &vars); err != nil {
			c.Bad = "bindings: " + err.Error()
			return c
		}
		c.Bindings = len(vars) > 0
	}

	if u, ok := fields["undefinedResult"]; ok && !bytes.Equal(bytes.TrimSpace(u), []byte("false")) {
		c.Kind = drySuiteWantUndefined
	} else if r, ok := fields["result"]; ok {
		c.Kind = drySuiteWantResult
		c.Result = r
		if u, ok := fields["unordered"]; ok {
			c.Unordered = bytes.Equal(bytes.TrimSpace(u), []byte("true"))
		}
	} else if e, ok := fields["error"]; ok {
		c.Kind = drySuiteWantError
		var obj struct{ Code string }
		_ = json.Unmarshal(e, &obj)
		c.Code = obj.Code
	} else if _, ok := fields["code"]; ok {
		c.Kind = drySuiteWantError
		c.Code, _ = str("code")
	} else if c.Bad == "" {
		c.Bad = "no result, undefinedResult, error or code"
	}
	return c
}

func drySuiteCompact(raw []byte) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

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

// drySuiteCheck reports whether o satisfies c, and if not why.
func drySuiteCheck(c *drySuiteCase, o drySuiteOutcome) (bool, string) {
	if c.Bad != "" {
		return false, "unreadable case: " + c.Bad
	}
	if o.Broken != "" {
		return false, "path failed"
	}
	noResult := o.TransformError != nil && strings.Contains(*o.TransformError, drySuiteNoResult)
	switch c.Kind {
	case drySuiteWantError:
		// "Nothing" is not an error (as in the internal runner).
		if o.Refused != "" || (o.TransformError != nil && !noResult) {
			return true, ""
		}
		return false, "expected an error"
	case drySuiteWantUndefined:
		if noResult {
			return true, ""
		}
		return false, "expected undefined"
	}
	if o.Refused != "" {
		return false, "create refused"
	}
	if o.TransformError != nil {
		return false, "expected a result"
	}
	w, err := drySuiteDecode(c.Result)
	if err != nil {
		return false, "bad expected JSON: " + err.Error()
	}
	g, err := drySuiteDecode(o.Transformed)
	if err != nil {
		return false, "transformed is not one JSON value: " + err.Error()
	}
	if reflect.DeepEqual(w, g) {
		return true, ""
	}
	if wa, ok := w.([]any); ok && c.Unordered {
		if ga, ok := g.([]any); ok && drySuiteSameMultiset(wa, ga) {
			return true, ""
		}
	}
	return false, "different value"
}

func drySuiteDecode(b []byte) (any, error) {
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

func drySuiteSameMultiset(a, b []any) bool {
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

func drySuiteTruncate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
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
		return drySuiteOutcome{Broken: fmt.Sprintf("dry run status %d: %s", status, drySuiteTruncate(string(body), 200))}
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

// drySuiteFailure is one failed case, for the verbose listing.
type drySuiteFailure struct {
	ID, Expr, Want, Got, Why string
}

// drySuitePath tallies one path (REST or Go API).
type drySuitePath struct {
	name     string
	pass     map[string]int
	failures []drySuiteFailure
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

func (s *drySuiteTally) record(p *drySuitePath, c *drySuiteCase, o drySuiteOutcome) {
	ok, why := drySuiteCheck(c, o)
	if ok {
		p.pass[c.Group]++
		if c.Input == nil {
			p.undefinedPass++
		}
		return
	}
	p.failures = append(p.failures, drySuiteFailure{ID: c.ID(), Expr: c.Expr, Want: c.Want(), Got: o.Describe(), Why: why})
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
	dir := os.Getenv(drySuiteEnvDir)
	if dir == "" {
		t.Skip("set HOOKSTREAM_JSONATA_SUITE to the jsonata-js test/test-suite directory to run the official suite through the dry run")
	}
	minRate := drySuiteDefaultMin
	if s := os.Getenv(drySuiteEnvMin); s != "" {
		v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
		if err != nil {
			t.Fatalf("%s=%q: not a percentage: %v", drySuiteEnvMin, s, err)
		}
		minRate = v
	}
	verbose := os.Getenv(drySuiteEnvVerbose) == "1"
	groups, err := drySuiteLoad(dir)
	if err != nil {
		t.Fatalf("reading the suite in %s: %v", dir, err)
	}
	if len(groups) == 0 {
		t.Fatalf("no groups in %s", filepath.Join(dir, "groups"))
	}

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
func drySuiteRun(r *Router, srcID, dstID string, c *drySuiteCase, tally *drySuiteTally) {
	var rest, goapi drySuiteOutcome
	switch {
	case c.Bad != "":
	case c.Bindings:
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
				rest.Broken = fmt.Sprintf("create answer %s", drySuiteTruncate(string(body), 200))
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
			msg := drySuiteTruncate(string(body), 200)
			if json.Unmarshal(body, &res) == nil && res.Error != "" {
				msg = res.Error
			}
			rest.Refused = msg
			goapi = rest
		default:
			rest.Broken = fmt.Sprintf("create status %d: %s", status, drySuiteTruncate(string(body), 200))
			goapi = rest
		}
	}
	tally.mu.Lock()
	defer tally.mu.Unlock()
	tally.total[c.Group]++
	if c.Bad == "" && c.Input == nil {
		tally.undefinedIn++
	}
	if c.Kind == drySuiteWantError && rest.Refused == "" && rest.TransformError != nil && strings.Contains(*rest.TransformError, drySuiteNoResult) {
		tally.errOnlyNoRes++
	}
	if c.Kind == drySuiteWantError && c.Input == nil && rest.TransformError != nil && strings.Contains(*rest.TransformError, drySuiteBadInput) {
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
	names := make([]string, 0, len(s.total))
	for g := range s.total {
		names = append(names, g)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "JSONata official suite through the dry run (%s)\n", os.Getenv(drySuiteEnvDir))
	fmt.Fprintf(&b, "  %-34s %11s %11s %s\n", "group", "REST", "Go API", "not expressible")
	total, restPass, goPass, notExpr := 0, 0, 0, 0
	for _, g := range names {
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
	rate := func(n, d int) float64 {
		if d == 0 {
			return 0
		}
		return 100 * float64(n) / float64(d)
	}
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
			if len(p.failures) == 0 {
				continue
			}
			sort.Slice(p.failures, func(i, j int) bool { return p.failures[i].ID < p.failures[j].ID })
			fmt.Fprintf(&b, "%s failing cases (%d):\n", p.name, len(p.failures))
			for _, f := range p.failures {
				fmt.Fprintf(&b, "  %s: %s\n    expr: %s\n    want: %s\n    got:  %s\n", f.ID, f.Why,
					drySuiteTruncate(f.Expr, 100), drySuiteTruncate(f.Want, 200), drySuiteTruncate(f.Got, 200))
			}
		}
	}
	if testing.Verbose() {
		fmt.Print(b.String())
	}
	for _, l := range lines {
		t.Log(l)
	}
	if restRate < minRate {
		t.Errorf("REST dry run pass rate %.1f%% (%d / %d) is below %s=%g%%", restRate, restPass, total, drySuiteEnvMin, minRate)
	}
}

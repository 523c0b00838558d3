package transform

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/internal/transform/jsonatasuite"
)

// String renders a need for tests: * for everything, {a:…,b:…} for
// fields in name order.
func (nd *need) String() string {
	if nd.all {
		return "*"
	}
	names := make([]string, 0, len(nd.fields))
	for name := range nd.fields {
		names = append(names, name)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = name + ":" + nd.fields[name].String()
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func TestProjectInput(t *testing.T) {
	for _, c := range []struct{ expr, want string }{
		{`a`, `{a:*}`},
		{`a.b.c`, `{a:{b:{c:*}}}`},
		{`a.b & a.c`, `{a:{b:*,c:*}}`},
		{`{"x": a.b, "y": c}`, `{a:{b:*},c:*}`},
		{`a.{"s": b, "t": c.d}`, `{a:{b:*,c:{d:*}}}`},
		{`a[b > 1].c`, `{a:{b:*,c:*}}`},
		{`a[0].c`, `{a:{c:*}}`},
		{`a^(>p).n`, `{a:{n:*,p:*}}`},
		{`a{b: c}`, `{a:{b:*,c:*}}`},
		{`x ? a : b.c`, `{a:*,b:{c:*},x:*}`},
		{`(a; b.c)`, `{a:*,b:{c:*}}`},
		{`[a, b].c`, `{a:{c:*},b:{c:*}}`},
		{`a ?? b.c`, `{a:*,b:{c:*}}`},
		{`$.a.b`, `{a:{b:*}}`},
		{`a.($$.b & c)`, `{a:{c:*},b:*}`},
		{`$uppercase(a.b)`, `{a:{b:*}}`},
		{`a.b.$uppercase()`, `{a:{b:{}}}`}, // a string context: b is read only as one
		{`$substring(a, 1)`, `{a:*}`},
		{`$lookup(a, "k")`, `{a:*}`},
		{`a ~> $uppercase()`, `{a:*}`},
		{`a ~> $join(",")`, `{a:*}`},
		{`$sum(a.(q * p))`, `{a:{p:*,q:*}}`},
		{`a.b.*`, `{a:{b:*}}`},
		{`a.**.c`, `{a:*}`},
		// Everything: the input whole, or reads the analysis does not follow.
		{`$`, `*`},
		{`*`, `*`},
		{`$string()`, `*`},
		{`$keys()`, `*`},
		{`$lookup("k")`, `*`},
		{`($x := a; $x.b)`, `*`},
		{`$map(a, function($v){ $v.b })`, `*`},
		{`$map(a, $string)`, `*`},
		{`a.b.%.c`, `*`},
		{`a@$x.b`, `*`},
		{`a#$i.b`, `*`},
		{`$eval("b")`, `*`},
		{`a ~> |b|{"c": 1}|`, `*`},
		{`$v.a`, `*`}, // a variable the caller binds
	} {
		p, err := Compile(c.expr)
		if err != nil {
			t.Fatalf("Compile(%q): %v", c.expr, err)
		}
		if got := p.input.String(); got != c.want {
			t.Errorf("projection of %q = %s, want %s", c.expr, got, c.want)
		}
	}
}

// evalBothWays evaluates p on body with its projection and with the input
// decoded whole, and reports any difference. Expressions that read the
// clock or draw random numbers are not compared, nor are runs where
// either ran out of budget (the projection may charge fewer steps).
func evalBothWays(p *Program, body []byte, bindings map[string][]byte) (diff string) {
	for _, f := range []string{"$random", "$now", "$millis", "$shuffle"} {
		if strings.Contains(p.expr, f) {
			return ""
		}
	}
	whole := *p
	whole.input = everything
	run := func(p *Program) ([]byte, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if bindings != nil {
			return p.EvalBindings(ctx, body, bindings)
		}
		return p.Eval(ctx, body)
	}
	out, err := run(p)
	want, wantErr := run(&whole)
	var be *BudgetError
	if errors.As(err, &be) || errors.As(wantErr, &be) || errors.Is(err, context.DeadlineExceeded) || errors.Is(wantErr, context.DeadlineExceeded) {
		return ""
	}
	if string(out) != string(want) || fmt.Sprint(err) != fmt.Sprint(wantErr) {
		return fmt.Sprintf("projected %s: %s, %v; whole: %s, %v", p.input, out, err, want, wantErr)
	}
	return ""
}

func TestProjection_SameAsWholeInput(t *testing.T) {
	order := `{"id":7,"type":"order.created","note":"` + strings.Repeat("x", 300) + `","meta":{"a":[1,2,{"b":null}],"k":"v"},` +
		`"data":{"object":{"id":"o1","amount":4200,"currency":"eur","customer":{"email":"e@x","name":"N","phone":"1"},` +
		`"items":[{"sku":"A","qty":2,"p":1.5,"tags":["t"]},{"sku":"B","qty":0,"p":3},[{"sku":"C","qty":1,"p":2}]],` +
		`"shipping":{"address":{"city":"Paris","country":"FR","line1":"1 rue"}}}},"dup":1,"dup":{"x":2},"a\u0062":"escaped"}`
	bodies := []string{
		order,
		`[` + order + `,{"id":8,"data":{"object":{"items":{"sku":"Z","qty":5,"p":1}}}}]`,
		`{"data":"not an object","items":[]}`,
		`42`, `"s"`, `null`, `[]`, `{}`, ``,
		// Invalid JSON inside a part the projection skips, and out of it.
		`{"id":1,"note":{"a":[1,2,}}`,
		`{"id":1,"note":"\x"}`,
		`{"id":1,"note":01}`,
		`{"id":1,"note":tru}`,
		`{"id":1}x`,
		`{"id":1,"note":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}`,
	}
	exprs := []string{
		`id`, `$`, `data.object.id`, `data.object.items.sku`, `data.object.items[qty > 0].{"s": sku, "t": qty * p}`,
		`$sum(data.object.items.(qty * p))`, `data.object.customer`, `data.object.{"c": customer.email, "a": shipping.address}`,
		`dup`, `dup.x`, `ab`, `$keys(data.object)`, `$count(data.object.items)`, `$string(data.object.customer)`,
		`data.object.items^(>qty).sku`, `data.object.items{sku: qty}`, `data.object.items[0]`, `data.object.items[-1].sku`,
		`$exists(meta.a.b)`, `meta.a[2]`, `$type(data)`, `data.object.items.tags[0]`, `$uppercase(type)`,
		`data.object.amount > 100 ? data.object.currency : "low"`, `data.**.sku`, `data.object.*`, `$lookup(data.object, "id")`,
		`$merge([data.object.customer, {"x": 1}])`, `$sift(data.object.customer, function($v){ $v = "N" })`,
		`{"seq": id, "lines": data.object.items.{"sku": sku, "quantity": qty, "amount": qty * p / 100},` +
			` "ship_to": data.object.shipping.address.city & ", " & data.object.shipping.address.country}`,
		`data.object.customer = {"email": "e@x", "name": "N", "phone": "1"}`, `data.object.customer ? 1 : 0`,
		`$boolean(data.object.shipping)`, `$not(meta)`, `meta.a ~> $count()`, `data.object.items.qty ~> $sum()`,
		`$.data.object.id`, `data.object.items.($$.id & sku)`, `$map(data.object.items, function($i){ $i.sku })`,
	}
	for _, expr := range exprs {
		p, err := Compile(expr)
		if err != nil {
			t.Fatalf("Compile(%q): %v", expr, err)
		}
		for _, body := range bodies {
			if d := evalBothWays(p, []byte(body), nil); d != "" {
				t.Errorf("%q on %.80q: %s", expr, body, d)
			}
		}
	}
}

// TestProjection_OfficialSuite evaluates every case of the official JSONata
// suite with its projection and with its input decoded whole, and fails on
// any difference (HOOKSTREAM_JSONATA_SUITE, as TestOfficialSuite).
func TestProjection_OfficialSuite(t *testing.T) {
	run := jsonatasuite.Required(t)
	projected := 0
	for _, g := range run.Groups {
		for _, c := range g.Cases {
			if c.Bad != "" || c.Input == nil {
				continue
			}
			p, err := Compile(c.Expr)
			if err != nil {
				continue
			}
			if !p.input.all {
				projected++
			}
			if d := evalBothWays(p, c.Input, c.Bindings); d != "" {
				t.Errorf("%s %q: %s", c.ID(), c.Expr, d)
			}
		}
	}
	t.Logf("%d cases evaluated on a projection of their input", projected)
}

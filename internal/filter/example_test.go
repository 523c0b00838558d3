package filter_test

import (
	"fmt"
	"net/http"

	"github.com/hookstream-go/hookstream/internal/filter"
)

func Example() {
	m, err := filter.CompileJSON([]byte(`[
		{"field": "payload.type", "op": "eq", "value": "order.created"},
		{"field": "payload.data.items.0.sku", "op": "in", "value": ["A-1", "A-2"]},
		{"field": "headers.x-shop", "operator": "exists"}
	]`))
	if err != nil {
		fmt.Println(err)
		return
	}
	ev := filter.NewEvent(filter.Input{
		Body:    []byte(`{"type": "order.created", "data": {"items": [{"sku": "A-2"}]}}`),
		Headers: http.Header{"X-Shop": {"engines"}},
		Method:  "POST",
	})
	fmt.Println(m.Match(ev))
	for _, r := range m.Explain(ev) {
		fmt.Println(r.Index, r.Field, r.Op, r.Matched, string(r.Observed))
	}

	_, err = filter.CompileJSON([]byte(`[{"field": "payload.n", "op": "gt", "value": "10"}]`))
	fmt.Println(err)
	// Output:
	// true
	// 0 payload.type eq true "order.created"
	// 1 payload.data.items.0.sku in true "A-2"
	// 2 headers.x-shop exists true "engines"
	// filter_rules[0]: 'gt' needs a number value
}

package filter

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
)

// benchBody is a 2 KB order webhook, compact as providers send it.
var benchBody = compact(`{
  "id": "evt_1NvZ2eLkdIwHu7ix",
  "type": "order.created",
  "created": 1695830400,
  "livemode": true,
  "data": {
    "id": "ord_8f14e45fceea167a5a36dedd4bea2543",
    "status": "paid",
    "currency": "EUR",
    "total_price": 249.9,
    "subtotal_price": 229.9,
    "total_tax": 20,
    "customer": {
      "id": 7781,
      "email": "ada@example.com",
      "first_name": "Ada",
      "last_name": "Lovelace",
      "phone": null,
      "accepts_marketing": false,
      "default_address": {"city": "London", "country": "GB", "zip": "NW1 6XE", "line1": "12 St James's Square"}
    },
    "line_items": [
      {"id": 1, "sku": "SKU-1", "title": "Analytical Engine Poster", "quantity": 1, "price": 29.9, "properties": []},
      {"id": 2, "sku": "SKU-2", "title": "Difference Engine Model", "quantity": 2, "price": 80, "properties": [{"name": "gift", "value": "yes"}]},
      {"id": 3, "sku": "SKU-3", "title": "Punched Card Set", "quantity": 4, "price": 10, "properties": []}
    ],
    "shipping_lines": [{"code": "express", "price": 20, "carrier": "Royal Mail"}],
    "discount_codes": [{"code": "WELCOME10", "amount": 10, "type": "percentage"}],
    "note_attributes": [{"name": "source", "value": "newsletter"}, {"name": "campaign", "value": "autumn"}],
    "fulfillment_status": null,
    "financial_status": "paid",
    "source_name": "web",
    "landing_site": "/collections/engines?utm_source=newsletter&utm_campaign=autumn",
    "referring_site": "https://news.example.com/articles/ada",
    "browser_ip": "203.0.113.7",
    "processed_at": "2023-09-27T16:00:00Z",
    "updated_at": "2023-09-27T16:00:05Z",
    "checkout_token": "b1946ac92492d2347c6235b4d2611184",
    "cart_token": "591785b794601e212b260e25925636fd",
    "gateway": "stripe",
    "test": false,
    "token": "e4da3b7fbbce2345d7772b0674a318d5",
    "order_number": 1042,
    "billing_address": {"first_name": "Ada", "last_name": "Lovelace", "company": null, "line1": "12 St James's Square", "city": "London", "zip": "NW1 6XE", "country": "GB", "latitude": 51.5074, "longitude": -0.1346},
    "client_details": {"accept_language": "en-GB,en;q=0.9", "browser_height": 900, "browser_width": 1440, "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 13_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Safari/605.1.15"},
    "tags": ["first-order", "newsletter", "vip"]
  }
}`)

func compact(s string) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// benchRuleSets are five typical rules each: "spread" reads one field at
// the very end of the body (so the lookups scan all of it), "leading" only
// fields in its first half.
var benchRuleSets = []struct {
	name  string
	rules []Rule
}{
	{"spread", []Rule{
		{Field: "payload.type", Op: OpEq, Value: json.RawMessage(`"order.created"`)},
		{Field: "payload.data.total_price", Op: OpGte, Value: json.RawMessage(`100`)},
		{Field: "payload.data.line_items.2.sku", Op: OpEq, Value: json.RawMessage(`"SKU-3"`)},
		{Field: "payload.data.tags", Op: OpContains, Value: json.RawMessage(`"vip"`)},
		{Field: "payload.data.customer.default_address.country", Op: OpIn, Value: json.RawMessage(`["GB","IE"]`)},
	}},
	{"leading", []Rule{
		{Field: "payload.type", Op: OpEq, Value: json.RawMessage(`"order.created"`)},
		{Field: "payload.livemode", Op: OpEq, Value: json.RawMessage(`true`)},
		{Field: "payload.data.total_price", Op: OpGte, Value: json.RawMessage(`100`)},
		{Field: "payload.data.currency", Op: OpIn, Value: json.RawMessage(`["EUR","GBP"]`)},
		{Field: "payload.data.customer.email", Op: OpContains, Value: json.RawMessage(`"@example.com"`)},
	}},
}

var benchHeaders = http.Header{"Content-Type": {"application/json"}, "X-Shop-Domain": {"engines.example.com"}}

func BenchmarkMatcher_Match(b *testing.B) {
	for _, set := range benchRuleSets {
		b.Run(set.name, func(b *testing.B) {
			m, err := Compile(set.rules)
			if err != nil {
				b.Fatal(err)
			}
			if !m.Match(NewEvent(Input{Body: benchBody, Headers: benchHeaders})) {
				b.Fatal("benchmark rules do not match")
			}
			b.SetBytes(int64(len(benchBody)))
			b.ReportAllocs()
			for b.Loop() {
				// A fresh event per iteration: the per-event validation is
				// part of the cost.
				if !m.Match(NewEvent(Input{Body: benchBody, Headers: benchHeaders})) {
					b.Fatal("no match")
				}
			}
		})
	}
}

// BenchmarkBaseline_UnmarshalWalk is the naive approach: unmarshal the body
// into map[string]any and walk it for the same five rules.
func BenchmarkBaseline_UnmarshalWalk(b *testing.B) {
	type rule struct {
		op   Op
		segs []string
		want any
	}
	for _, set := range benchRuleSets {
		b.Run(set.name, func(b *testing.B) {
			rules := make([]rule, len(set.rules))
			for i, r := range set.rules {
				segs, _ := splitPath(r.Field)
				var want any
				if err := json.Unmarshal(r.Value, &want); err != nil {
					b.Fatal(err)
				}
				rules[i] = rule{r.Op, segs[1:], want}
			}
			match := func(body []byte) bool {
				var doc any
				if err := json.Unmarshal(body, &doc); err != nil {
					return false
				}
				for _, r := range rules {
					v, ok := refLookup(doc, r.segs)
					if !refMatch(r.op, v, ok, r.want) {
						return false
					}
				}
				return true
			}
			if !match(benchBody) {
				b.Fatal("benchmark rules do not match")
			}
			b.SetBytes(int64(len(benchBody)))
			b.ReportAllocs()
			for b.Loop() {
				if !match(benchBody) {
					b.Fatal("no match")
				}
			}
		})
	}
}

package main

import (
	"bytes"
	"fmt"
	"strings"
)

// payloadSize is the size of every webhook body the scenarios send.
const payloadSize = 1024

// payload is a realistic 1 KiB JSON webhook (a Stripe-like order event)
// carrying seq as its first field, so a receiver can match a delivery to
// its send without parsing the whole body.
func payload(seq int64) []byte {
	head := fmt.Sprintf(`{"seq":%d,"id":"evt_%014d","object":"event","type":"order.created","api_version":"2024-06-20",`+
		`"created":1718000000,"livemode":false,"pending_webhooks":1,"request":{"id":"req_8Jd2kLq0ZxYp","idempotency_key":"b6f1c2e0-7d3a-4f7e-9a51-%012d"},`+
		`"data":{"object":{"id":"ord_%010d","object":"order","amount":4200,"amount_subtotal":3900,"amount_tax":300,"currency":"eur","status":"created",`+
		`"customer":{"id":"cus_Q1w2E3r4T5y6","email":"jane.doe@example.com","name":"Jane Doe","phone":"+33 1 23 45 67 89"},`+
		`"items":[{"sku":"SKU-TSHIRT-M","name":"T-shirt (M)","qty":2,"unit_amount":1200},{"sku":"SKU-MUG","name":"Mug","qty":1,"unit_amount":1500}],`+
		`"shipping":{"name":"Jane Doe","address":{"line1":"1 Rue de Rivoli","line2":null,"city":"Paris","postal_code":"75001","country":"FR"},"carrier":"colissimo"},`+
		`"metadata":{"order_ref":"A-%d","channel":"web","campaign":"summer-sale"},"note":"`, seq, seq, seq, seq, seq)
	tail := `"}}}`
	pad := payloadSize - len(head) - len(tail)
	if pad < 0 {
		pad = 0
	}
	return []byte(head + strings.Repeat("x", pad) + tail)
}

// parseSeq reads the "seq" of a body made by payload (or a transform that
// keeps it).
func parseSeq(body []byte) (int64, bool) {
	i := bytes.Index(body, []byte(`"seq":`))
	if i < 0 {
		return 0, false
	}
	i += len(`"seq":`)
	for i < len(body) && body[i] == ' ' {
		i++
	}
	var n int64
	start := i
	for ; i < len(body) && body[i] >= '0' && body[i] <= '9'; i++ {
		n = n*10 + int64(body[i]-'0')
	}
	return n, i > start
}

// filterRules are five rules that every payload matches.
const filterRulesJSON = `[
	{"field": "payload.type", "op": "eq", "value": "order.created"},
	{"field": "payload.data.object.amount", "op": "gte", "value": 100},
	{"field": "payload.data.object.currency", "op": "in", "value": ["eur", "usd", "gbp"]},
	{"field": "payload.data.object.customer.email", "op": "exists", "value": true},
	{"field": "payload.livemode", "op": "eq", "value": false}
]`

// transformExpr is a typical reshape of the payload for a downstream API.
const transformExpr = `{
	"seq": seq,
	"event": type,
	"order_id": data.object.id,
	"total": data.object.amount / 100,
	"currency": $uppercase(data.object.currency),
	"customer": {"email": data.object.customer.email, "name": data.object.customer.name},
	"lines": data.object.items.{"sku": sku, "quantity": qty, "amount": qty * unit_amount / 100},
	"ship_to": data.object.shipping.address.city & ", " & data.object.shipping.address.country
}`

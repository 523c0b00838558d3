package kv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

// asJSON returns v after a JSON round trip: what the JSON-era records kept
// (times keep their instant and offset, not their zone's name), which the
// binary ones must keep too.
func asJSON[T any](t *testing.T, v *T) *T {
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out := new(T)
	if err := json.Unmarshal(data, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRecords_RoundTrip(t *testing.T) {
	utc := time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC)
	times := []time.Time{
		{}, utc, utc.In(time.FixedZone("X", 5*3600+30*60)), utc.Local(),
		time.Date(3000, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC),
	}
	for _, tm := range times {
		for _, body := range [][]byte{nil, {}, []byte("\x00\x01raw")} {
			for i, m := range []map[string]string{nil, {}, {"Content-Type": "application/json", "": "", "X": "\x00"}} {
				traceparent := ""
				if i > 0 {
					traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
				}
				e := &store.Event{Traceparent: traceparent,
					ID: "evt_1", OrgID: "o", EnvID: "e", SourceID: "s", Topic: "t", Method: "MKCOL", Headers: m,
					QueryParams: m, ContentType: "application/json", SourceIP: "::1", Body: body,
					VerificationStatus: "verified", VerificationError: "x", DedupStatus: store.DedupUnique,
					DedupHash: "h", DedupKey: "k", DedupUntil: tm, ReceivedAt: tm, SourceName: "n", SourceSlug: "sl",
				}
				got, err := decodeEvent("evt_1", encodeEvent(e))
				if e = asJSON(t, e); err != nil || !reflect.DeepEqual(got, e) {
					t.Fatalf("event round trip:\n got  %#v, %v\n want %#v", got, err, e)
				}
			}
		}
		d := &store.Delivery{
			ID: "dlv_1", OrgID: "o", EnvID: "e", EventID: "evt_1", ConnectionID: "c", SubscriptionID: "sub",
			DestinationID: "dst", Seq: 1 << 40, State: "odd", Held: true, NextAt: tm, LeaseToken: "tok",
			Attempts: 3, Trigger: store.TriggerManual, NoRetry: true, CreatedAt: utc, UpdatedAt: tm,
		}
		got, err := decodeDelivery("dlv_1", deliveryRecord(d.Seq, encodeDeliveryFields(d)))
		if d = asJSON(t, d); err != nil || !reflect.DeepEqual(got, d) {
			t.Fatalf("delivery round trip:\n got  %#v, %v\n want %#v", got, err, d)
		}
		a := &store.Attempt{
			ID: "da_1", OrgID: "o", EnvID: "e", EventID: "evt_1", DeliveryID: "dlv_1", ConnectionID: "c",
			SubscriptionID: "s", DestinationID: "d", RequestURL: "u", RequestMethod: "POST",
			RequestHeaders:  map[string]string{"Idempotency-Key": "dlv_1", "X-Event": "evt_1", "X-Attempt": "da_1", "Empty": ""},
			RequestBodySize: -1, ResponseStatus: 200, ResponseHeaders: map[string]string{}, ResponseBody: "ok",
			ResponseBodyTruncated: true, DurationMS: -5, Status: "weird", Error: "e", CreatedAt: tm,
			AttemptNumber: 2, NextRetryAt: utc, IsDLQ: true, DLQAt: tm, Trigger: "t", ConnectionName: "cn", DestinationName: "dn",
		}
		gotA, seq, err := decodeAttempt(nil, "da_1", encodeAttempt(7, a, nil))
		if a = asJSON(t, a); err != nil || seq != 7 || !reflect.DeepEqual(gotA, a) {
			t.Fatalf("attempt round trip:\n got  %#v, %d, %v\n want %#v", gotA, seq, err, a)
		}
	}
	// A record written before traceparents: its bool before the body is
	// the body flag alone.
	old := append([]byte(nil), encodeEvent(&store.Event{OrgID: "o", Body: []byte("raw")})...)
	if !bytes.HasSuffix(old, []byte("\x01raw")) {
		t.Fatalf("record %q does not end as before traceparents, with 1 and the body", old)
	}
	if got, err := decodeEvent("evt_old", old); err != nil || string(got.Body) != "raw" || got.Traceparent != "" {
		t.Fatalf("record of before traceparents = %+v, %v", got, err)
	}
	st := eventState{seq: 9, received: timeBits(utc), pending: 2, dead: 1, status: store.EventProcessing}
	if got, ok := readEventState(st.encode()); !ok || got != st {
		t.Fatalf("state round trip = %+v, %v", got, ok)
	}
	for _, v := range [][]byte{{recBinary}, {recBinary, 0xFF}, append(encodeEvent(&store.Event{})[:3], 9)} {
		if _, err := decodeEvent("x", v); err == nil {
			t.Fatalf("decodeEvent(%q) succeeded", v)
		}
		if _, err := decodeDelivery("x", v); err == nil {
			t.Fatalf("decodeDelivery(%q) succeeded", v)
		}
	}
}

// TestRecords_CompactIDs round-trips records whose IDs are of the form
// hookstream makes, which they keep in 16 bytes each.
func TestRecords_CompactIDs(t *testing.T) {
	id := func(prefix string, n int) string { return fmt.Sprintf("%s%032x", prefix, n) }
	tm := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	e := &store.Event{
		ID: id("evt_", 1), OrgID: id("org_", 2), EnvID: id("env_", 3), SourceID: id("src_", 4), Method: "POST",
		Body: []byte(`{}`), ReceivedAt: tm,
	}
	if got, err := decodeEvent(e.ID, encodeEvent(e)); err != nil || !reflect.DeepEqual(got, e) {
		t.Fatalf("event round trip:\n got  %#v, %v\n want %#v", got, err, e)
	}
	d := &store.Delivery{
		ID: id("dlv_", 5), OrgID: e.OrgID, EnvID: e.EnvID, EventID: e.ID, ConnectionID: id("conn_", 6),
		SubscriptionID: id("sub_", 7), DestinationID: id("dst_", 8), Seq: 3, State: store.DeliveryPending,
		NextAt: tm, CreatedAt: tm, UpdatedAt: tm,
	}
	fields := encodeDeliveryFields(d)
	if len(fields) > 6*17+20 {
		t.Errorf("delivery fields are %d bytes: IDs not compact", len(fields))
	}
	if got, err := decodeDelivery(d.ID, deliveryRecord(d.Seq, fields)); err != nil || !reflect.DeepEqual(got, d) {
		t.Fatalf("delivery round trip:\n got  %#v, %v\n want %#v", got, err, d)
	}
	a := &store.Attempt{
		ID: id("da_", 9), OrgID: e.OrgID, EnvID: e.EnvID, EventID: e.ID, DeliveryID: d.ID, ConnectionID: id("conn_", 10),
		DestinationID: d.DestinationID, Status: store.AttemptFailed, CreatedAt: tm,
	}
	if got, seq, err := decodeAttempt(nil, a.ID, encodeAttempt(4, a, nil)); err != nil || seq != 4 || !reflect.DeepEqual(got, a) {
		t.Fatalf("attempt round trip:\n got  %#v, %v\n want %#v", got, err, a)
	}
}

// TestRecords_BinaryStringIDs reads records as versions before compact IDs
// wrote them (format recBinary: IDs as strings).
func TestRecords_BinaryStringIDs(t *testing.T) {
	tm := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	w := &enc{b: []byte{recBinary}}
	for _, s := range []string{"org_1", "env_1", "src_1", ""} {
		w.str(s)
	}
	w.word("POST")
	w.strMap(nil)
	w.strMap(nil)
	w.word("")
	w.str("::1")
	w.word("verified")
	w.str("")
	w.word(store.DedupUnique)
	w.str("")
	w.str("")
	w.time(tm)
	w.time(time.Time{})
	w.str("Shop")
	w.str("shop")
	w.b = append(w.b, tailBody)
	w.b = append(w.b, "{}"...)
	e, err := decodeEvent("evt_1", w.b)
	if err != nil || e.OrgID != "org_1" || e.SourceID != "src_1" || string(e.Body) != "{}" || !e.ReceivedAt.Equal(tm) {
		t.Fatalf("event of format recBinary = %+v, %v", e, err)
	}
	if tn, err := eventTenant(w.b); err != nil || tn != (store.Tenant{OrgID: "org_1", EnvID: "env_1"}) {
		t.Fatalf("eventTenant = %+v, %v", tn, err)
	}

	w = &enc{b: []byte{recBinary}}
	w.uvarint(7)
	for _, s := range []string{"org_1", "env_1", "evt_1", "conn_1", "", "dst_1"} {
		w.str(s)
	}
	w.word(store.DeliveryPending)
	w.bool(false)
	w.bool(false)
	w.time(tm)
	w.time(tm)
	w.time(tm)
	w.str("tok")
	w.varint(2)
	w.word(string(store.TriggerInitial))
	d, err := decodeDelivery("dlv_1", w.b)
	want := &store.Delivery{
		ID: "dlv_1", Seq: 7, OrgID: "org_1", EnvID: "env_1", EventID: "evt_1", ConnectionID: "conn_1", DestinationID: "dst_1",
		State: store.DeliveryPending, CreatedAt: tm, NextAt: tm, UpdatedAt: tm, LeaseToken: "tok", Attempts: 2, Trigger: store.TriggerInitial,
	}
	if err != nil || !reflect.DeepEqual(d, want) {
		t.Fatalf("delivery of format recBinary:\n got  %#v, %v\n want %#v", d, err, want)
	}
}

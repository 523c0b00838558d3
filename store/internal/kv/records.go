package kv

import (
	"encoding/binary"

	"github.com/hookstream-go/hookstream/store"
)

// Binary records of events, deliveries and attempts (see codec.go). A
// record leaves out its ID, which is its key, and what the store keeps
// elsewhere: an event's Status, Pending and Dead (its state), and those
// fields of an attempt that repeat its delivery's.

// An event record's fields end with a flags byte saying what follows:
// tailBody (the body, raw, to the end; a nil body has no flag) and
// tailTraceparent (the traceparent, a string, before the body). Records
// written before traceparents existed had a bool there, which reads as
// these flags.
const (
	tailBody        = 1
	tailTraceparent = 2
)

// eventTailFlags is the flags byte of e's record.
func eventTailFlags(e *store.Event) byte {
	var flags byte
	if e.Body != nil {
		flags |= tailBody
	}
	if e.Traceparent != "" {
		flags |= tailTraceparent
	}
	return flags
}

// encodeEvent returns the record of e: every field but ID, Status, Pending
// and Dead, with the traceparent (when set) and the body last, raw.
func encodeEvent(e *store.Event) []byte {
	w := newEnc(128 + len(e.Body) + 32*(len(e.Headers)+len(e.QueryParams)))
	w.id(e.OrgID)
	w.id(e.EnvID)
	w.id(e.SourceID)
	w.str(e.Topic)
	w.word(e.Method)
	w.strMap(e.Headers)
	w.strMap(e.QueryParams)
	w.word(e.ContentType)
	w.str(e.SourceIP)
	w.word(e.VerificationStatus)
	w.str(e.VerificationError)
	w.word(e.DedupStatus)
	w.str(e.DedupHash)
	w.str(e.DedupKey)
	w.time(e.ReceivedAt)
	w.time(e.DedupUntil)
	w.str(e.SourceName)
	w.str(e.SourceSlug)
	w.b = append(w.b, eventTailFlags(e))
	if e.Traceparent != "" {
		w.str(e.Traceparent)
	}
	w.b = append(w.b, e.Body...)
	return w.b
}

// decodeEvent reads the event record v of event id (either format). Its
// Status, Pending and Dead are those stored in a JSON-era record; the
// caller sets them from the event's state.
func decodeEvent(id string, v []byte) (*store.Event, error) {
	e := new(store.Event)
	if isLegacy(v) {
		if _, err := readRecord(v, e); err != nil {
			return nil, err
		}
		return e, nil
	}
	r := newDec(v)
	e.ID = id
	e.OrgID = r.recordID()
	e.EnvID = r.recordID()
	e.SourceID = r.recordID()
	e.Topic = r.str()
	e.Method = r.word()
	e.Headers = r.strMap()
	e.QueryParams = r.strMap()
	e.ContentType = r.word()
	e.SourceIP = r.str()
	e.VerificationStatus = r.word()
	e.VerificationError = r.str()
	e.DedupStatus = r.word()
	e.DedupHash = r.str()
	e.DedupKey = r.str()
	e.ReceivedAt = r.time()
	e.DedupUntil = r.time()
	e.SourceName = r.str()
	e.SourceSlug = r.str()
	flags := r.u8()
	if flags&^(tailBody|tailTraceparent) != 0 {
		return nil, errCorrupt
	}
	if flags&tailTraceparent != 0 {
		e.Traceparent = r.str()
	}
	if flags&tailBody != 0 {
		e.Body = copyBytes(r.rest())
		if e.Body == nil {
			e.Body = []byte{}
		}
	}
	if !r.done() {
		return nil, errCorrupt
	}
	return e, nil
}

// eventTenant returns the tenant of the event record v, reading no more
// of it than needed.
func eventTenant(v []byte) (store.Tenant, error) {
	var t store.Tenant
	if isLegacy(v) {
		_, err := readRecord(v, &struct {
			OrgID *string `json:"org_id"`
			EnvID *string `json:"env_id"`
		}{&t.OrgID, &t.EnvID})
		return t, err
	}
	r := newDec(v)
	t.OrgID, t.EnvID = r.recordID(), r.recordID()
	if r.bad {
		return t, errCorrupt
	}
	return t, nil
}

// encodeDeliveryFields returns the fields of a delivery record after its
// format byte and Seq, which putDeliveryData adds (Seq is assigned in the
// transaction, the rest may be encoded before).
func encodeDeliveryFields(d *store.Delivery) []byte {
	w := &enc{b: make([]byte, 0, 160)}
	w.id(d.OrgID)
	w.id(d.EnvID)
	w.id(d.EventID)
	w.id(d.ConnectionID)
	w.id(d.SubscriptionID)
	w.id(d.DestinationID)
	w.word(d.State)
	w.bool(d.Held)
	w.bool(d.NoRetry)
	w.time(d.CreatedAt)
	w.time(d.NextAt)
	w.time(d.UpdatedAt)
	w.str(d.LeaseToken)
	w.varint(int64(d.Attempts))
	w.word(string(d.Trigger))
	return w.b
}

// deliveryRecord returns the record of a delivery from its Seq and fields.
func deliveryRecord(seq uint64, fields []byte) []byte {
	b := make([]byte, 0, 1+10+len(fields))
	b = append(b, recCompactIDs)
	b = binary.AppendUvarint(b, seq)
	return append(b, fields...)
}

// decodeDelivery reads the delivery record v of delivery id (either
// format).
func decodeDelivery(id string, v []byte) (*store.Delivery, error) {
	d := new(store.Delivery)
	if isLegacy(v) {
		seq, err := readRecord(v, d)
		d.Seq = seq
		return d, err
	}
	r := newDec(v)
	d.ID = id
	d.Seq = r.uvarint()
	d.OrgID = r.recordID()
	d.EnvID = r.recordID()
	d.EventID = r.recordID()
	d.ConnectionID = r.recordID()
	d.SubscriptionID = r.recordID()
	d.DestinationID = r.recordID()
	d.State = r.word()
	d.Held = r.bool()
	d.NoRetry = r.bool()
	d.CreatedAt = r.time()
	d.NextAt = r.time()
	d.UpdatedAt = r.time()
	d.LeaseToken = r.str()
	d.Attempts = r.int()
	d.Trigger = store.Trigger(r.word())
	if !r.done() {
		return nil, errCorrupt
	}
	return d, nil
}

// attemptLinks returns the fields of an attempt that name where it
// belongs. An attempt record's derived mask has one bit per field, in
// this order (org 1, env 2, event 4, connection 8, subscription 16,
// destination 32): a set bit says the field equals its delivery's and is
// not stored.
func attemptLinks(a *store.Attempt) [6]*string {
	return [6]*string{&a.OrgID, &a.EnvID, &a.EventID, &a.ConnectionID, &a.SubscriptionID, &a.DestinationID}
}

func deliveryLinks(d *store.Delivery) [6]string {
	return [6]string{d.OrgID, d.EnvID, d.EventID, d.ConnectionID, d.SubscriptionID, d.DestinationID}
}

// encodeAttempt returns the record of attempt a, whose delivery is d (nil
// when it has none): every field but ID, leaving out those equal to d's
// when the attempt names d and d's event (so that both are pruned
// together, and d is there whenever the attempt is read). Header values equal to the attempt's, event's or delivery's ID are
// a one-byte reference.
func encodeAttempt(seq uint64, a *store.Attempt, d *store.Delivery) []byte {
	w := newEnc(256 + len(a.ResponseBody) + len(a.RequestURL) + 48*(len(a.RequestHeaders)+len(a.ResponseHeaders)))
	w.uvarint(seq)
	w.id(a.DeliveryID)
	var mask uint64
	links := attemptLinks(a)
	if d != nil && d.ID == a.DeliveryID && d.EventID == a.EventID {
		for i, v := range deliveryLinks(d) {
			if *links[i] == v {
				mask |= 1 << i
			}
		}
	}
	w.uvarint(mask)
	for i, f := range links {
		if mask&(1<<i) == 0 {
			w.id(*f)
		}
	}
	w.refs = []string{a.ID, a.EventID, a.DeliveryID}
	w.str(a.RequestURL)
	w.word(a.RequestMethod)
	w.strMap(a.RequestHeaders)
	w.varint(int64(a.RequestBodySize))
	w.varint(int64(a.ResponseStatus))
	w.strMap(a.ResponseHeaders)
	w.str(a.ResponseBody)
	w.bool(a.ResponseBodyTruncated)
	w.varint(a.DurationMS)
	w.word(a.Status)
	w.str(a.Error)
	w.time(a.CreatedAt)
	w.varint(int64(a.AttemptNumber))
	w.time(a.NextRetryAt)
	w.bool(a.IsDLQ)
	w.time(a.DLQAt)
	w.word(string(a.Trigger))
	w.str(a.ConnectionName)
	w.str(a.DestinationName)
	return w.b
}

// decodeAttempt reads the attempt record v of attempt id (either format)
// and returns it with its sequence number. It reads the attempt's delivery
// when the record leaves fields to it.
func decodeAttempt(tx Tx, id string, v []byte) (*store.Attempt, uint64, error) {
	a := new(store.Attempt)
	if isLegacy(v) {
		seq, err := readRecord(v, a)
		return a, seq, err
	}
	r := newDec(v)
	a.ID = id
	seq := r.uvarint()
	a.DeliveryID = r.recordID()
	mask := r.uvarint()
	links := attemptLinks(a)
	for i, f := range links {
		if mask&(1<<i) == 0 {
			*f = r.recordID()
		}
	}
	if r.bad || mask >= 1<<len(links) {
		return nil, 0, errCorrupt
	}
	if mask != 0 {
		d, err := loadDelivery(tx, a.DeliveryID)
		if err != nil {
			return nil, 0, errCorrupt // a delivery outlives its attempts
		}
		for i, v := range deliveryLinks(d) {
			if mask&(1<<i) != 0 {
				*links[i] = v
			}
		}
	}
	r.refs = []string{a.ID, a.EventID, a.DeliveryID}
	a.RequestURL = r.str()
	a.RequestMethod = r.word()
	a.RequestHeaders = r.strMap()
	a.RequestBodySize = r.int()
	a.ResponseStatus = r.int()
	a.ResponseHeaders = r.strMap()
	a.ResponseBody = r.str()
	a.ResponseBodyTruncated = r.bool()
	a.DurationMS = r.varint()
	a.Status = r.word()
	a.Error = r.str()
	a.CreatedAt = r.time()
	a.AttemptNumber = r.int()
	a.NextRetryAt = r.time()
	a.IsDLQ = r.bool()
	a.DLQAt = r.time()
	a.Trigger = store.Trigger(r.word())
	a.ConnectionName = r.str()
	a.DestinationName = r.str()
	if !r.done() {
		return nil, 0, errCorrupt
	}
	return a, seq, nil
}

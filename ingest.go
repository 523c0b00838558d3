package hookstream

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

// IngestResult is the answer to an accepted webhook.
type IngestResult struct {
	EventID  string `json:"event_id"`
	SourceID string `json:"source_id"`
	// Duplicate says the event repeated one inside the dedup window: it was
	// stored but not delivered.
	Duplicate bool `json:"-"`
	// Deliveries is how many deliveries the event queued.
	Deliveries int `json:"-"`
}

// Ingest receives a webhook for a source: the Go form of ANY
// /v1/ingest/{source_id}. It runs the checks of spec §3.1 in order (unknown
// source ErrNotFound, disabled source or blocked IP ErrForbidden, body over
// Config.MaxBodyBytes ErrTooLarge, bad signature ErrUnauthorized, schema
// rejection *SchemaError), then stores the event and one delivery per
// matching connection in one durable write. When Ingest returns nil the
// event survives a crash and will be delivered at least once.
//
// The client address is req.RemoteAddr, or X-Forwarded-For when
// RemoteAddr is one of Config.TrustedProxies. Ingest reads req.Body.
//
// With a tracer provider installed, Ingest makes a span, the child of
// ctx's span or else of the request's traceparent header, and stores its
// context with the event for the deliveries' spans (see Config).
func (r *Router) Ingest(ctx context.Context, sourceID string, req *http.Request) (*IngestResult, error) {
	ctx, op := r.startIngest(ctx, "hookstream.ingest", req.Header)
	res, err := r.ingest(ctx, sourceID, req, op.traceparent)
	var eventID string
	var deliveries int
	if res != nil {
		eventID, deliveries = res.EventID, res.Deliveries
	}
	scope := attrSource.String(canonicalID(prefixSource, sourceID))
	r.endIngest(ctx, op, scope, eventID, deliveries, res != nil && res.Duplicate, err)
	return res, err
}

// ingest is Ingest, storing traceparent with the event.
func (r *Router) ingest(ctx context.Context, sourceID string, req *http.Request, traceparent string) (*IngestResult, error) {
	sr, err := r.routes().forSource(ctx, sourceID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, withMessage(ErrNotFound, "Source not found")
	}
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	src := sr.source
	if Status(src.Status) == StatusDisabled {
		return nil, withMessage(ErrForbidden, "Source is disabled")
	}
	clientIP := r.clientIP(req)
	if err := checkIP(src, clientIP); err != nil {
		return nil, err
	}
	var body []byte
	if req.Body != nil { // a client request made without a body has none
		if body, err = readBody(req.Body, req.ContentLength, r.cfg.MaxBodyBytes); err != nil {
			return nil, withMessage(errBadRequest, "Could not read the request body")
		}
	}
	if int64(len(body)) > r.cfg.MaxBodyBytes {
		return nil, withMessage(ErrTooLarge, fmt.Sprintf("Body too large: the limit is %d bytes", r.cfg.MaxBodyBytes))
	}
	now := r.now()
	ev := &store.Event{
		ID: newID(prefixEvent), OrgID: src.OrgID, EnvID: src.EnvID, SourceID: src.ID,
		Method: req.Method, Headers: storedHeaders(req.Header), QueryParams: flatQuery(req),
		ContentType: req.Header.Get("Content-Type"), SourceIP: addrString(clientIP), Body: body,
		VerificationStatus: "unverified", DedupStatus: store.DedupUnique, ReceivedAt: now,
		SourceName: src.Name, SourceSlug: src.Slug, Traceparent: traceparent,
	}
	if src.VerificationEnabled {
		if err := verifyRequest(src, req, body, now, r.cfg.BaseURL); err != nil {
			return nil, withMessage(ErrUnauthorized, "Signature verification failed: "+err.Error())
		}
		ev.VerificationStatus = "verified"
	}
	if sr.schema != nil {
		if err := validateSchema(sr.schema, body); err != nil {
			if src.SchemaAction != "warn" {
				return nil, err
			}
			ev.VerificationStatus = "schema_invalid"
		}
	}
	if src.DedupEnabled {
		setDedup(ev, src, req.Header, body, now)
	}
	var deliveries []*store.Delivery
	if Status(src.Status) == StatusActive {
		in := newMatchInput(body, ev.ContentType, req.Method, ev.SourceIP, "", req.Header)
		for _, route := range sr.routes {
			if route.active && route.filter.Match(in) {
				deliveries = append(deliveries, newDelivery(ev, route, now))
			}
		}
	}
	if err := r.insertEvent(ctx, ev, deliveries); err != nil {
		return nil, fmt.Errorf("ingest: store event: %w", err)
	}
	res := &IngestResult{EventID: ev.ID, SourceID: src.ID, Duplicate: ev.DedupStatus == store.DedupDuplicate}
	if !res.Duplicate {
		res.Deliveries = len(deliveries)
	}
	return res, nil
}

// insertEvent stores an event with its deliveries in one durable write and
// hands the deliveries to a running scheduler, in memory when it can (a
// duplicate event's deliveries are not stored, so none are handed).
func (r *Router) insertEvent(ctx context.Context, ev *store.Event, ds []*store.Delivery) error {
	handed := r.handoff.reserve(ds)
	err := r.store.InsertEvent(ctx, ev, ds)
	if err == nil {
		r.feed.publishEvent(ev) // before its deliveries can be attempted
	}
	if handed {
		r.handoff.committed(ev, ds, err == nil && ev.DedupStatus != store.DedupDuplicate)
	}
	if err == nil && !handed && len(ds) > 0 {
		r.wakeScheduler()
	}
	return err
}

// newDelivery is a pending delivery of ev along route.
func newDelivery(ev *store.Event, route *compiledRoute, now time.Time) *store.Delivery {
	return &store.Delivery{
		ID: newOrderedID(prefixDelivery, now), OrgID: ev.OrgID, EnvID: ev.EnvID, EventID: ev.ID,
		ConnectionID: route.connectionID, SubscriptionID: route.subscriptionID,
		DestinationID: route.destinationID, State: store.DeliveryPending, Held: route.held,
		NextAt: now, Trigger: store.TriggerInitial, CreatedAt: now, UpdatedAt: now,
	}
}

// setDedup gives ev the dedup key of the source's strategy. An event with
// no value to dedup on (a missing header or field) is not deduplicated.
func setDedup(ev *store.Event, src *store.Source, h http.Header, body []byte, now time.Time) {
	var value string
	switch src.DedupStrategy {
	case "header_field":
		value = h.Get(src.DedupField)
	case "body_field":
		value = bodyField(body, src.DedupField)
	default:
		value = string(body)
	}
	if value == "" && src.DedupStrategy != "payload_hash" {
		return
	}
	sum := sha256.Sum256([]byte(value))
	ev.DedupHash = hex.EncodeToString(sum[:])
	ev.DedupKey = src.DedupStrategy + ":" + ev.DedupHash
	ev.DedupUntil = now.Add(time.Duration(src.DedupWindowSeconds) * time.Second)
}

// clientIP is the request's client address: the connection's peer, or the
// right-most X-Forwarded-For entry not added by a trusted proxy.
func (r *Router) clientIP(req *http.Request) netip.Addr {
	ip := parseAddr(req.RemoteAddr)
	if !r.trusted(ip) {
		return ip
	}
	hops := strings.Split(strings.Join(req.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := parseAddr(strings.TrimSpace(hops[i]))
		if !hop.IsValid() {
			break
		}
		ip = hop
		if !r.trusted(hop) {
			break
		}
	}
	return ip
}

func (r *Router) trusted(ip netip.Addr) bool {
	if !ip.IsValid() {
		return false
	}
	for _, p := range r.cfg.trustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// parseAddr parses "ip", "ip:port" or "[ipv6]:port"; invalid gives the
// zero Addr.
func parseAddr(s string) netip.Addr {
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// checkIP applies the source's deny list, then its allow list.
func checkIP(src *store.Source, ip netip.Addr) error {
	if inList(src.IPDenylist, ip) {
		return withMessage(ErrForbidden, "IP is in deny list")
	}
	if len(src.IPAllowlist) > 0 && !inList(src.IPAllowlist, ip) {
		return withMessage(ErrForbidden, "IP is not in allow list")
	}
	return nil
}

func inList(list []string, ip netip.Addr) bool {
	if !ip.IsValid() {
		return false
	}
	for _, s := range list {
		if p, err := parsePrefix(s); err == nil && p.Contains(ip) {
			return true
		}
	}
	return false
}

// credentialHeaders are masked in stored events: an event is shown to
// every API key of its tenant, and these carry the sender's credentials
// (the postmark template's basic auth, for one).
var credentialHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie"}

// storedHeaders is how an event keeps its request headers.
func storedHeaders(h http.Header) map[string]string {
	out := flatHeaders(h, false)
	for _, name := range credentialHeaders {
		if v, ok := out[name]; ok {
			out[name] = *maskSecret(v)
		}
	}
	return out
}

func flatQuery(req *http.Request) map[string]string {
	q := req.URL.Query()
	if len(q) == 0 {
		return nil
	}
	out := make(map[string]string, len(q))
	for k, v := range q {
		out[k] = strings.Join(v, ",")
	}
	return out
}

// mediaType is the lower-case media type of a Content-Type value.
func mediaType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(strings.Split(ct, ";")[0]))
	}
	return mt
}

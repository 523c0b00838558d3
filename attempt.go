package hookstream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hookstream-go/hookstream/internal/retry"
	"github.com/hookstream-go/hookstream/store"
)

// attempt makes one delivery attempt of a leased delivery and returns its
// outcome. It never returns without an outcome: every lease is answered.
func (r *Router) attempt(ctx context.Context, j job) finished {
	d, dst := j.d, j.dst
	start := r.now()
	f := finished{destID: d.DestinationID, probe: j.probe, epoch: j.epoch}
	f.outcome = store.Outcome{DeliveryID: d.ID, LeaseToken: d.LeaseToken, Now: start}
	a := &store.Attempt{
		ID: newID(prefixAttempt), OrgID: d.OrgID, EnvID: d.EnvID, EventID: d.EventID, DeliveryID: d.ID,
		ConnectionID: d.ConnectionID, SubscriptionID: d.SubscriptionID, DestinationID: d.DestinationID,
		CreatedAt: start, AttemptNumber: d.Attempts + 1, Trigger: d.Trigger, Status: store.AttemptFailed,
	}
	if a.Trigger == "" || (d.Attempts > 0 && d.Trigger == store.TriggerInitial) {
		a.Trigger = store.TriggerRetry
		if d.Attempts == 0 {
			a.Trigger = store.TriggerInitial
		}
	}
	f.outcome.Attempt = a
	dead := func(msg string) finished {
		a.Error, a.IsDLQ, a.DLQAt = msg, true, r.now()
		f.outcome.Result = store.ResultDead
		return f
	}
	if dst == nil {
		return dead("destination no longer exists")
	}
	a.DestinationName = dst.Name
	a.RequestURL, a.RequestMethod = redactURL(dst.URL), dst.Method

	ev, err := j.ev, error(nil)
	if ev == nil {
		ev, err = r.store.GetEvent(ctx, d.Tenant(), d.EventID)
	}
	if errors.Is(err, store.ErrNotFound) {
		return dead("event no longer exists")
	}
	if err != nil {
		// The store failed, not the receiver: give the lease back.
		f.outcome.Attempt, f.outcome.Result, f.outcome.RetryAt = nil, store.ResultRelease, start.Add(time.Second)
		return f
	}
	route, err := r.routes().route(ctx, d)
	if err != nil {
		f.outcome.Attempt, f.outcome.Result, f.outcome.RetryAt = nil, store.ResultRelease, start.Add(time.Second)
		return f
	}
	a.ConnectionName = route.name
	body, contentType := ev.Body, ev.ContentType
	if route.transform != nil {
		out, err := route.transform.Eval(ctx, transformInput(ev))
		switch {
		case ctx.Err() != nil:
			// Shutting down, not the transform's fault: try again later.
			f.outcome.Attempt, f.outcome.Result, f.outcome.RetryAt = nil, store.ResultRelease, start.Add(time.Second)
			return f
		case err != nil:
			// A transform fails the same way every time: no retries (spec §3.2).
			a.CreatedAt = r.now()
			return dead("transform failed: " + err.Error())
		}
		body, contentType = out, "application/json"
	}
	provider, ok := r.providers[dst.Type]
	if !ok {
		return dead(fmt.Sprintf("no provider registered for destination type %q", dst.Type))
	}
	callCtx, span := r.startAttempt(ctx, ev, d, a.AttemptNumber)
	resp, err := callProvider(callCtx, provider, time.Duration(dst.TimeoutMS)*time.Millisecond, &Message{
		Destination: dst, EventID: d.EventID, Attempt: a.AttemptNumber,
		Body: body, ContentType: contentType, Timestamp: start,
	})
	end := r.now()
	switch {
	case err != nil:
		a.Error = err.Error()
	case !retry.IsSuccess(resp.Status):
		a.Error = fmt.Sprintf("receiver answered %d", resp.Status)
	}
	r.endAttempt(callCtx, span, d.DestinationID, end.Sub(start), resp, a.Error)
	a.DurationMS = end.Sub(start).Milliseconds()
	a.RequestBodySize = len(body)
	var rr retry.Response
	if resp != nil {
		recordResponse(a, resp)
		rr = retry.Response{Status: resp.Status, RetryAfter: resp.Header.Get("Retry-After")}
	}
	if a.Error == "" {
		a.Status = store.AttemptSuccess
		f.outcome.Result, f.verdict = store.ResultSuccess, verdictSuccess
		return f
	}
	f.verdict = verdictFailure
	if isRefused(err) {
		// The receiver was never asked, and never will be while the
		// setting holds: permanent (spec §3.3).
		f.verdict = verdictNone
		return dead(a.Error + "; " + privateNetworksHint)
	}
	if d.NoRetry {
		return dead(a.Error)
	}
	decision := retryPolicy(dst).Next(a.AttemptNumber, end, rr)
	if !decision.Retry {
		return dead(a.Error)
	}
	a.NextRetryAt = decision.At
	f.outcome.Result, f.outcome.RetryAt = store.ResultRetry, decision.At
	return f
}

// transformInput is the JSON a transform sees of an event: its body, or a
// form-encoded body as an object (as filters see it).
func transformInput(ev *store.Event) []byte {
	if mediaType(ev.ContentType) != "application/x-www-form-urlencoded" {
		return ev.Body
	}
	payload, _ := newMatchInput(ev.Body, ev.ContentType, "", "", "", nil).Payload()
	return payload
}

// recordResponse copies what the attempt sent and got into its record.
func recordResponse(a *store.Attempt, resp *Response) {
	if resp.Request.URL != "" {
		a.RequestURL, a.RequestMethod = redactURL(resp.Request.URL), resp.Request.Method
	}
	a.RequestHeaders = flatHeaders(resp.Request.Header, true)
	a.ResponseStatus = resp.Status
	a.ResponseHeaders = flatHeaders(resp.Header, false)
	a.ResponseBody = string(resp.Body)
	a.ResponseBodyTruncated = resp.Truncated
}

// retryPolicy is the destination's retry policy.
func retryPolicy(dst *store.Destination) retry.Policy {
	return retry.Policy{
		Enabled:     dst.RetryEnabled,
		MaxAttempts: dst.RetryMaxAttempts,
		Backoff:     dst.RetryBackoffType,
		Intervals:   dst.RetryIntervals,
	}
}

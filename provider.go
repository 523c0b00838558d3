package hookstream

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/hookstream-go/hookstream/internal/signature"
	"github.com/hookstream-go/hookstream/store"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Provider delivers messages to destinations of one type. The http type is
// built in; register others (SQS, Kafka, an in-process callback, ...) in
// Config.Providers under their type name.
type Provider interface {
	// Validate checks a destination of this type when it is created or
	// updated; an error becomes a 400 on provider_config.
	Validate(dst *store.Destination) error
	// Deliver makes one delivery attempt. A returned error is a failed
	// attempt without a response (a connect error, say); a Response with a
	// non-2xx Status is a failed attempt with one.
	Deliver(ctx context.Context, msg *Message) (*Response, error)
}

// Message is one delivery attempt handed to a Provider.
type Message struct {
	// Destination is where it goes.
	Destination *store.Destination
	// EventID identifies the event: receivers deduplicate on it.
	EventID string
	// Attempt is the attempt number, from 1.
	Attempt int
	// Body is the original body, or the transform's JSON.
	Body []byte
	// ContentType is the body's media type.
	ContentType string
	// Timestamp is when the attempt is made.
	Timestamp time.Time
}

// Response is what a destination answered.
type Response struct {
	// Status is the HTTP status (or a provider's equivalent: 200 for
	// success).
	Status int
	// Header holds the response headers.
	Header http.Header
	// Body is the start of the response body.
	Body []byte
	// Truncated says Body was cut at MaxResponseBody bytes.
	Truncated bool
	// Request describes the request sent (for the attempt record).
	Request RequestInfo
}

// RequestInfo describes a request sent to a destination.
type RequestInfo struct {
	URL      string
	Method   string
	Header   http.Header
	BodySize int
}

// MaxResponseBody is how much of a response body an attempt records.
const MaxResponseBody = 4 << 10

// userAgent is the User-Agent of the requests the http provider sends.
const userAgent = "hookstream/" + Version

// FuncProvider delivers to a Go function: the natural destination of an
// embedded gateway. A nil error is a successful delivery.
type FuncProvider func(ctx context.Context, msg *Message) error

// Validate accepts every destination.
func (FuncProvider) Validate(*store.Destination) error { return nil }

// Deliver calls f.
func (f FuncProvider) Deliver(ctx context.Context, msg *Message) (*Response, error) {
	if err := f(ctx, msg); err != nil {
		return nil, err
	}
	return &Response{Status: http.StatusOK}, nil
}

// httpProvider is the built-in http destination type.
type httpProvider struct {
	client *http.Client
}

// Validate is done by validateDestination (URL, method, auth).
func (httpProvider) Validate(*store.Destination) error { return nil }

// Deliver sends msg as an HTTP request (spec §3.3).
func (p httpProvider) Deliver(ctx context.Context, msg *Message) (*Response, error) {
	dst := msg.Destination
	req, err := http.NewRequestWithContext(ctx, dst.Method, dst.URL, bytes.NewReader(msg.Body))
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	h := req.Header
	for k, v := range dst.Headers {
		h.Set(k, v)
	}
	// hookstream's own headers, in their canonical form, their values in
	// one allocation.
	own := [...]string{msg.ContentType, userAgent, msg.EventID, strconv.Itoa(msg.Attempt), mustTime(msg.Timestamp)}
	values := own[:]
	for i, k := range [...]string{"Content-Type", "User-Agent", "X-Hookstream-Event-Id", "X-Hookstream-Delivery-Attempt", "X-Hookstream-Timestamp"} {
		if values[i] != "" {
			h[k] = values[i : i+1 : i+1]
		}
	}
	if trace.SpanContextFromContext(ctx).IsValid() { // the attempt's span
		traceContext.Inject(ctx, propagation.HeaderCarrier(h))
	}
	if err := setAuth(h, dst.AuthType, dst.AuthConfig); err != nil {
		return nil, err
	}
	if len(dst.SigningConfig) > 0 {
		signer, err := parseSigner(dst.SigningConfig)
		if err != nil {
			return nil, fmt.Errorf("signing_config: %w", err)
		}
		signer.Sign(h, msg.EventID, msg.Body, msg.Timestamp)
	}
	// The request's own header: the client does not change it.
	info := RequestInfo{URL: dst.URL, Method: dst.Method, Header: h, BodySize: len(msg.Body)}
	resp, err := p.client.Do(req)
	if err != nil {
		return &Response{Request: info}, err
	}
	defer resp.Body.Close()
	body, _ := readBody(resp.Body, resp.ContentLength, MaxResponseBody)
	truncated := len(body) > MaxResponseBody
	if truncated {
		body = body[:MaxResponseBody]
	}
	// Drain a little more so the connection can be reused.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body, Truncated: truncated, Request: info}, nil
}

// setAuth adds the destination's authentication header.
func setAuth(h http.Header, authType string, raw json.RawMessage) error {
	var c authConfig
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &c); err != nil {
			return errors.New("auth_config is not valid")
		}
	}
	switch authType {
	case "bearer":
		h.Set("Authorization", "Bearer "+c.Token)
	case "basic":
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(c.Username+":"+c.Password)))
	case "api_key":
		h.Set(c.Header, c.Value)
	}
	return nil
}

// parseSigner parses a destination's signing_config.
func parseSigner(raw json.RawMessage) (*signature.Signer, error) {
	return signature.ParseSigningConfig(raw)
}

// providerGrace is how long past its timeout a Provider may take to
// return before the attempt is failed without it.
const providerGrace = time.Second

// callProvider makes one Deliver call under the destination's timeout, so
// that user code cannot take the process or a worker down: a panic, a
// (nil, nil) answer, or a call still running providerGrace after its
// timeout (its context was cancelled) is a failed attempt with an error
// saying so. A call that never returns keeps its goroutine: that is the
// provider's bug, and the worker goes on.
func callProvider(ctx context.Context, p Provider, timeout time.Duration, msg *Message) (*Response, error) {
	callCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type answer struct {
		resp *Response
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- answer{err: fmt.Errorf("hookstream: provider panicked: %v", v)}
			}
		}()
		resp, err := p.Deliver(callCtx, msg)
		if resp == nil && err == nil {
			err = errors.New("hookstream: provider returned neither a response nor an error")
		}
		done <- answer{resp, err}
	}()
	select {
	case a := <-done:
		return a.resp, a.err
	case <-callCtx.Done(): // timed out, or the Router is stopping
	}
	grace := time.NewTimer(providerGrace)
	defer grace.Stop()
	select {
	case a := <-done:
		return a.resp, a.err
	case <-grace.C:
		return nil, fmt.Errorf("hookstream: provider did not return within its %v timeout", timeout)
	}
}

// Command receiver is a tiny webhook receiver for trying hookstream's
// deliveries out locally: it prints every request it gets (method, path,
// the X-hookstream-* and webhook-* headers, the body), checks the
// signature hookstream put on it, and answers.
//
//	go run ./examples/receiver [-addr 127.0.0.1:9000] [-secret S] [-fail]
//
// Point a destination at it (examples/server needs -allow-private-networks
// to deliver to a loopback address):
//
//	{"url": "http://127.0.0.1:9000/hooks", "signing_config": {"secret": "S"}}
//
// With -secret (the destination's signing_config secret) it verifies the
// signature of each request and prints whether it did:
//
//   - HMAC (the default scheme): the X-hookstream-Signature header
//     (-header) holds the prefix (sha256= by default) and the hex HMAC-SHA256
//     or HMAC-SHA1 of the body or, when the X-hookstream-Signature-Timestamp
//     header (-timestamp-header) is present (include_timestamp), of
//     "{timestamp}.{body}";
//   - Standard Webhooks ("scheme": "standard_webhooks", a whsec_ secret):
//     webhook-signature holds "v1,<base64>" of the HMAC-SHA256 of
//     "{webhook-id}.{webhook-timestamp}.{body}".
//
// A secret being rotated (previous_secret) adds a second signature; either
// one verifying is enough. Signed timestamps more than -tolerance away from
// the receiver's clock fail.
//
// It answers 200, or 500 to every request with -fail. Paths under /fail
// always answer 500, so a destination pointed at http://127.0.0.1:9000/fail
// fails and dead-letters; GET /health answers 200 without printing, for
// scripts that wait for the receiver to start.
package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "receiver:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:9000", "listen address")
	secret := flag.String("secret", "", "the destination's signing_config secret; without it, signatures are not checked")
	fail := flag.Bool("fail", false, "answer 500 to every request")
	header := flag.String("header", DefaultSignatureHeader, "signing_config header: where the HMAC signature is")
	tsHeader := flag.String("timestamp-header", DefaultTimestampHeader, "signing_config timestamp_header: where the signed timestamp is (include_timestamp)")
	tolerance := flag.Duration("tolerance", DefaultTolerance, "largest difference between a signed timestamp and the clock")
	flag.Parse()

	rcv := &Receiver{
		Out:             os.Stdout,
		Secret:          *secret,
		Fail:            *fail,
		Header:          *header,
		TimestampHeader: *tsHeader,
		Tolerance:       *tolerance,
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	checking := "not checking signatures (no -secret)"
	if *secret != "" {
		checking = "checking signatures"
	}
	answer := "answering 200 (500 under /fail)"
	if *fail {
		answer = "answering 500 (-fail)"
	}
	fmt.Printf("receiver on http://%s, %s, %s\n", ln.Addr(), checking, answer)

	srv := &http.Server{Handler: rcv, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdownCtx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Defaults of a Receiver, the same as hookstream's signing_config.
const (
	DefaultSignatureHeader = "X-hookstream-Signature"
	DefaultTimestampHeader = "X-hookstream-Signature-Timestamp"
	DefaultTolerance       = 5 * time.Minute
)

// maxBody is the most of a body the receiver reads, and maxPrinted the
// most it prints.
const (
	maxBody    = 10 << 20
	maxPrinted = 4 << 10
)

// Receiver is the receiver's http.Handler.
type Receiver struct {
	// Out receives one block of text per request.
	Out io.Writer
	// Secret is the destination's signing secret; empty means signatures
	// are not checked.
	Secret string
	// Fail answers 500 to every request.
	Fail bool
	// Header and TimestampHeader are where HMAC signatures and their
	// timestamps are. Default to DefaultSignatureHeader and
	// DefaultTimestampHeader.
	Header, TimestampHeader string
	// Tolerance is the largest difference between a signed timestamp and
	// Now. Defaults to DefaultTolerance.
	Tolerance time.Duration
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time

	mu sync.Mutex // serializes writes to Out
}

// ServeHTTP prints the request, checks its signature, and answers.
func (rcv *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/health" {
		fmt.Fprintln(w, "ok")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, "cannot read the body: "+err.Error(), http.StatusBadRequest)
		return
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s\n", r.Method, r.URL.RequestURI())
	var names []string
	for name := range r.Header {
		if printed(name, rcv.header(), rcv.timestampHeader()) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		for _, v := range r.Header[name] {
			fmt.Fprintf(&b, "  %s: %s\n", name, v)
		}
	}
	if len(body) > maxPrinted {
		fmt.Fprintf(&b, "  %s… (%d bytes)\n", body[:maxPrinted], len(body))
	} else {
		fmt.Fprintf(&b, "  %s\n", body)
	}
	if rcv.Secret == "" {
		fmt.Fprintln(&b, "  signature not checked (no -secret)")
	} else if how, err := rcv.Verify(r.Header, body); err != nil {
		fmt.Fprintf(&b, "  signature NOT verified: %v\n", err)
	} else {
		fmt.Fprintf(&b, "  signature verified: %s\n", how)
	}

	status := http.StatusOK
	if rcv.Fail || r.URL.Path == "/fail" || strings.HasPrefix(r.URL.Path, "/fail/") {
		status = http.StatusInternalServerError
	}
	fmt.Fprintf(&b, "  → %d\n", status)
	rcv.mu.Lock()
	rcv.Out.Write(b.Bytes())
	rcv.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if status == http.StatusOK {
		fmt.Fprintln(w, `{"received": true}`)
	} else {
		fmt.Fprintln(w, `{"error": "failing on purpose"}`)
	}
}

// printed reports whether a request header is worth printing.
func printed(name string, extra ...string) bool {
	lower := strings.ToLower(name)
	for _, e := range extra {
		if strings.EqualFold(name, e) {
			return true
		}
	}
	return lower == "content-type" || strings.HasPrefix(lower, "x-hookstream-") || strings.HasPrefix(lower, "webhook-")
}

func (rcv *Receiver) header() string {
	if rcv.Header == "" {
		return DefaultSignatureHeader
	}
	return rcv.Header
}

func (rcv *Receiver) timestampHeader() string {
	if rcv.TimestampHeader == "" {
		return DefaultTimestampHeader
	}
	return rcv.TimestampHeader
}

// Verify checks the signature of a request with the receiver's secret. It
// returns how the signature was made, e.g. "HMAC-SHA256 of
// {timestamp}.{body}", or an error saying why it does not verify.
func (rcv *Receiver) Verify(h http.Header, body []byte) (string, error) {
	if h.Get("webhook-signature") != "" {
		return rcv.verifyStandard(h, body)
	}
	return rcv.verifyHMAC(h, body)
}

// verifyHMAC checks hookstream's HMAC scheme: header = prefix + hex(HMAC(
// secret, body)), or of "{timestamp}.{body}" with the timestamp header;
// several signatures are comma-separated.
func (rcv *Receiver) verifyHMAC(h http.Header, body []byte) (string, error) {
	sigs := h.Get(rcv.header())
	if sigs == "" {
		return "", fmt.Errorf("no %s header", rcv.header())
	}
	signed, what := body, "{body}"
	if ts := h.Get(rcv.timestampHeader()); ts != "" {
		if err := rcv.checkTimestamp(ts); err != nil {
			return "", err
		}
		signed, what = append([]byte(ts+"."), body...), "{timestamp}.{body}"
	}
	for _, alg := range []struct {
		name    string
		newHash func() hash.Hash
	}{{"HMAC-SHA256", sha256.New}, {"HMAC-SHA1", sha1.New}} {
		m := hmac.New(alg.newHash, []byte(rcv.Secret))
		m.Write(signed)
		want := hex.EncodeToString(m.Sum(nil))
		for sig := range strings.SplitSeq(sigs, ",") {
			// The prefix (sha256= by default) is the destination's choice:
			// the hex digest is what ends the value.
			sig = strings.TrimSpace(sig)
			if len(sig) >= len(want) && subtle.ConstantTimeCompare([]byte(strings.ToLower(sig[len(sig)-len(want):])), []byte(want)) == 1 {
				return alg.name + " of " + what, nil
			}
		}
	}
	return "", errors.New("no signature matches the secret (wrong -secret, or a body changed on the way?)")
}

// verifyStandard checks a Standard Webhooks signature: webhook-signature =
// "v1," + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")), several
// space-separated, with the key the base64 after "whsec_".
func (rcv *Receiver) verifyStandard(h http.Header, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(rcv.Secret, "whsec_"))
	if err != nil || len(key) == 0 {
		return "", errors.New("a Standard Webhooks secret is whsec_ followed by base64")
	}
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
	if id == "" || ts == "" {
		return "", errors.New("webhook-id or webhook-timestamp missing")
	}
	if err := rcv.checkTimestamp(ts); err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	for sig := range strings.FieldsSeq(h.Get("webhook-signature")) {
		if subtle.ConstantTimeCompare([]byte(sig), []byte(want)) == 1 {
			return "Standard Webhooks (v1) of {webhook-id}.{webhook-timestamp}.{body}", nil
		}
	}
	return "", errors.New("no webhook-signature matches the secret (wrong -secret, or a body changed on the way?)")
}

// checkTimestamp checks a signed unix timestamp against the tolerance.
func (rcv *Receiver) checkTimestamp(ts string) error {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("signed timestamp %q is not unix seconds", ts)
	}
	now := time.Now
	if rcv.Now != nil {
		now = rcv.Now
	}
	tolerance := rcv.Tolerance
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if d := now().Sub(time.Unix(sec, 0)).Abs(); d > tolerance {
		return fmt.Errorf("signed timestamp is %v away from the clock (tolerance %v)", d.Round(time.Second), tolerance)
	}
	return nil
}

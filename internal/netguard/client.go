package netguard

import (
	"crypto/tls"
	"net"
	"net/http"
	"time"
)

// Defaults of a Config.
const (
	DefaultDialTimeout            = 10 * time.Second
	DefaultTLSHandshakeTimeout    = 10 * time.Second
	DefaultIdleConnTimeout        = 90 * time.Second
	DefaultKeepAlive              = 30 * time.Second
	DefaultMaxIdleConns           = 1000
	DefaultMaxIdleConnsPerHost    = 100
	DefaultMaxResponseHeaderBytes = 256 << 10
)

// Config tunes the guarded dialer, transport and client. The zero Config
// is the guarded default.
type Config struct {
	// AllowPrivate turns the guard off: every address may be dialed. For
	// development, tests and deployments whose receivers live on a private
	// network. Defaults to false.
	AllowPrivate bool
	// MaxConnsPerHost limits the connections per host, dialing, active and
	// idle. Defaults to 0, no limit: each destination's max_concurrency
	// bounds its in-flight deliveries.
	MaxConnsPerHost int
	// MaxIdleConnsPerHost is the size of each host's keep-alive pool.
	// Defaults to DefaultMaxIdleConnsPerHost (100).
	MaxIdleConnsPerHost int
	// MaxIdleConns is the size of the keep-alive pool across all hosts.
	// Defaults to DefaultMaxIdleConns (1000).
	MaxIdleConns int
	// DialTimeout bounds establishing a TCP connection. Defaults to
	// DefaultDialTimeout (10 s).
	DialTimeout time.Duration
	// TLSHandshakeTimeout bounds the TLS handshake. Defaults to
	// DefaultTLSHandshakeTimeout (10 s).
	TLSHandshakeTimeout time.Duration
	// IdleConnTimeout is how long an idle keep-alive connection is kept.
	// Defaults to DefaultIdleConnTimeout (90 s).
	IdleConnTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for response headers after the
	// request is written. Defaults to 0: bounded only by the request's
	// context, which carries the destination's timeout_ms.
	ResponseHeaderTimeout time.Duration
	// MaxResponseHeaderBytes limits the size of response headers. Defaults
	// to DefaultMaxResponseHeaderBytes (256 KiB).
	MaxResponseHeaderBytes int64
	// TLSConfig is the TLS client configuration; it is cloned. Defaults to
	// TLS 1.2 or later with the system's roots.
	TLSConfig *tls.Config
	// Resolver looks up host names. Defaults to net.DefaultResolver.
	Resolver *net.Resolver
}

func (cfg Config) withDefaults() Config {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.DialTimeout, DefaultDialTimeout)
	def(&cfg.TLSHandshakeTimeout, DefaultTLSHandshakeTimeout)
	def(&cfg.IdleConnTimeout, DefaultIdleConnTimeout)
	if cfg.ResponseHeaderTimeout < 0 {
		cfg.ResponseHeaderTimeout = 0
	}
	if cfg.MaxConnsPerHost < 0 {
		cfg.MaxConnsPerHost = 0
	}
	if cfg.MaxIdleConnsPerHost <= 0 {
		cfg.MaxIdleConnsPerHost = DefaultMaxIdleConnsPerHost
	}
	if cfg.MaxIdleConns <= 0 {
		cfg.MaxIdleConns = DefaultMaxIdleConns
	}
	if cfg.MaxResponseHeaderBytes <= 0 {
		cfg.MaxResponseHeaderBytes = DefaultMaxResponseHeaderBytes
	}
	if cfg.TLSConfig == nil {
		cfg.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	} else {
		cfg.TLSConfig = cfg.TLSConfig.Clone()
	}
	return cfg
}

// NewDialer returns a net.Dialer whose Control refuses blocked addresses
// (unless cfg.AllowPrivate), with cfg's DialTimeout and Resolver and
// TCP keep-alives every DefaultKeepAlive. Use it for destination types
// that dial on their own.
func NewDialer(cfg Config) *net.Dialer {
	cfg = cfg.withDefaults()
	return &net.Dialer{
		Timeout:   cfg.DialTimeout,
		KeepAlive: DefaultKeepAlive,
		Resolver:  cfg.Resolver,
		Control:   Control(cfg.AllowPrivate),
	}
}

// NewTransport returns an *http.Transport for webhook delivery: dials go
// through NewDialer, no proxy is used (not even one named by HTTP_PROXY and
// friends, which would defeat the guard), HTTP/2 is negotiated when the
// receiver offers it, and the timeouts and pool sizes are cfg's.
func NewTransport(cfg Config) *http.Transport {
	cfg = cfg.withDefaults()
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            NewDialer(cfg).DialContext,
		ForceAttemptHTTP2:      true,
		TLSClientConfig:        cfg.TLSConfig,
		TLSHandshakeTimeout:    cfg.TLSHandshakeTimeout,
		ResponseHeaderTimeout:  cfg.ResponseHeaderTimeout,
		ExpectContinueTimeout:  time.Second,
		IdleConnTimeout:        cfg.IdleConnTimeout,
		MaxIdleConns:           cfg.MaxIdleConns,
		MaxIdleConnsPerHost:    cfg.MaxIdleConnsPerHost,
		MaxConnsPerHost:        cfg.MaxConnsPerHost,
		MaxResponseHeaderBytes: cfg.MaxResponseHeaderBytes,
	}
}

// NewClient returns the *http.Client for webhook delivery, meant to be
// created once and shared: its transport is NewTransport(cfg), it follows
// no redirects (a 3xx response is returned as it is, spec §3.3), keeps no
// cookies, and has no overall timeout, since each request's context carries
// its destination's timeout. A refused dial fails the request with an error
// that matches ErrBlocked.
func NewClient(cfg Config) *http.Client {
	return &http.Client{
		Transport: NewTransport(cfg),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

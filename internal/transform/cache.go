package transform

import (
	"container/list"
	"context"
	"fmt"
	"runtime"
	"sync"
)

// Defaults for Config.
const (
	DefaultMaxOutputBytes = 1 << 20
	DefaultCacheSize      = 256
)

// Config holds the limits of a Cache. The zero value is valid.
type Config struct {
	// MaxSteps bounds the work of one evaluation (see DefaultMaxSteps).
	// Defaults to DefaultMaxSteps.
	MaxSteps int
	// MaxBytes bounds the bytes of values one evaluation builds. Defaults
	// to DefaultMaxBytes.
	MaxBytes int
	// MaxDepth bounds the nesting of evaluation (nested expressions and
	// non-tail calls). Defaults to DefaultMaxDepth.
	MaxDepth int
	// MaxOutputBytes bounds the encoded result. Defaults to
	// DefaultMaxOutputBytes.
	MaxOutputBytes int
	// CacheSize is how many compiled expressions the cache keeps; the
	// least recently used is evicted. Defaults to DefaultCacheSize.
	CacheSize int
	// MaxConcurrent bounds how many evaluations of the cache's programs
	// run at once (decoding their input included); others wait for a
	// slot, or for their context. Evaluations are CPU-bound, so more than
	// one per core gains nothing, and the bound caps their memory at
	// about MaxConcurrent × 2 × MaxBytes. Defaults to GOMAXPROCS.
	MaxConcurrent int
}

func (c Config) withDefaults() Config {
	if c.MaxSteps == 0 {
		c.MaxSteps = DefaultMaxSteps
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.MaxDepth == 0 {
		c.MaxDepth = DefaultMaxDepth
	}
	if c.MaxOutputBytes == 0 {
		c.MaxOutputBytes = DefaultMaxOutputBytes
	}
	if c.CacheSize == 0 {
		c.CacheSize = DefaultCacheSize
	}
	if c.MaxConcurrent == 0 {
		c.MaxConcurrent = runtime.GOMAXPROCS(0)
	}
	return c
}

func (c Config) validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"MaxSteps", c.MaxSteps}, {"MaxBytes", c.MaxBytes}, {"MaxDepth", c.MaxDepth}, {"MaxOutputBytes", c.MaxOutputBytes}, {"CacheSize", c.CacheSize}, {"MaxConcurrent", c.MaxConcurrent}} {
		if f.v < 0 {
			return fmt.Errorf("transform: Config.%s must not be negative", f.name)
		}
	}
	return nil
}

// Cache compiles expressions once and evaluates them under one set of
// limits. It is safe for concurrent use.
type Cache struct {
	cfg   Config
	slots chan struct{} // MaxConcurrent evaluation slots

	mu      sync.Mutex
	lru     *list.List // of *Program, most recently used first
	entries map[string]*list.Element
}

// NewCache returns a cache with the limits of cfg; nil means defaults.
func NewCache(cfg *Config) (*Cache, error) {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	c = c.withDefaults()
	return &Cache{cfg: c, slots: make(chan struct{}, c.MaxConcurrent), lru: list.New(), entries: make(map[string]*list.Element)}, nil
}

// Compile returns the compiled program for expr, compiling it on first
// use. It returns a *CompileError for an invalid expression; such
// expressions are not cached.
func (c *Cache) Compile(expr string) (*Program, error) {
	c.mu.Lock()
	if el, ok := c.entries[expr]; ok {
		c.lru.MoveToFront(el)
		c.mu.Unlock()
		return el.Value.(*Program), nil
	}
	c.mu.Unlock()

	p, err := compile(expr, c.cfg)
	if err != nil {
		return nil, err
	}
	p.slots = c.slots

	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[expr]; ok { // compiled concurrently
		c.lru.MoveToFront(el)
		return el.Value.(*Program), nil
	}
	c.entries[expr] = c.lru.PushFront(p)
	if c.lru.Len() > c.cfg.CacheSize {
		oldest := c.lru.Back()
		c.lru.Remove(oldest)
		delete(c.entries, oldest.Value.(*Program).expr)
	}
	return p, nil
}

// Eval compiles expr (once) and evaluates it against body; see
// Program.Eval.
func (c *Cache) Eval(ctx context.Context, expr string, body []byte) ([]byte, error) {
	p, err := c.Compile(expr)
	if err != nil {
		return nil, err
	}
	return p.Eval(ctx, body)
}

// Len returns the number of cached programs.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

package transform

import (
	"container/list"
	"context"
	"fmt"
	"sync"
	"time"
)

// Defaults for Config.
const (
	DefaultTimeout        = 250 * time.Millisecond
	DefaultMaxOutputBytes = 1 << 20
	DefaultMaxRunaway     = 4
	DefaultCacheSize      = 256
)

// Config holds the limits of a Cache. The zero value is valid.
type Config struct {
	// Timeout bounds each evaluation; a context deadline that comes first
	// wins. Defaults to DefaultTimeout.
	Timeout time.Duration
	// MaxOutputBytes bounds the encoded result. Defaults to
	// DefaultMaxOutputBytes.
	MaxOutputBytes int
	// MaxRunaway is how many evaluations that overran their deadline may
	// still be running (jsonata-go cannot be interrupted; an abandoned
	// evaluation stops at its next built-in call or callback, or when it
	// completes) before Eval refuses new evaluations with ErrOverloaded.
	// Defaults to DefaultMaxRunaway.
	MaxRunaway int
	// CacheSize is how many compiled expressions the cache keeps; the
	// least recently used is evicted. Defaults to DefaultCacheSize.
	CacheSize int
}

func (c Config) withDefaults() Config {
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxOutputBytes == 0 {
		c.MaxOutputBytes = DefaultMaxOutputBytes
	}
	if c.MaxRunaway == 0 {
		c.MaxRunaway = DefaultMaxRunaway
	}
	if c.CacheSize == 0 {
		c.CacheSize = DefaultCacheSize
	}
	return c
}

func (c Config) validate() error {
	switch {
	case c.Timeout < 0:
		return fmt.Errorf("transform: Config.Timeout must not be negative")
	case c.MaxOutputBytes < 0:
		return fmt.Errorf("transform: Config.MaxOutputBytes must not be negative")
	case c.MaxRunaway < 0:
		return fmt.Errorf("transform: Config.MaxRunaway must not be negative")
	case c.CacheSize < 0:
		return fmt.Errorf("transform: Config.CacheSize must not be negative")
	}
	return nil
}

// Cache compiles expressions once and evaluates them under one set of
// limits. It is safe for concurrent use.
type Cache struct {
	r    *runner
	size int

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
	return &Cache{
		r:       newRunner(c),
		size:    c.CacheSize,
		lru:     list.New(),
		entries: make(map[string]*list.Element),
	}, nil
}

// Compile returns the compiled program for expr, compiling it on first
// use. It returns a *CompileError for an invalid or refused expression;
// such expressions are not cached.
func (c *Cache) Compile(expr string) (*Program, error) {
	c.mu.Lock()
	if el, ok := c.entries[expr]; ok {
		c.lru.MoveToFront(el)
		c.mu.Unlock()
		return el.Value.(*Program), nil
	}
	c.mu.Unlock()

	p, err := compile(expr, c.r)
	if err != nil {
		return nil, err
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[expr]; ok { // compiled concurrently
		c.lru.MoveToFront(el)
		return el.Value.(*Program), nil
	}
	c.entries[expr] = c.lru.PushFront(p)
	if c.lru.Len() > c.size {
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

// Wait blocks until every evaluation of this cache's programs, including
// those abandoned after their deadline, has finished, or ctx is done.
func (c *Cache) Wait(ctx context.Context) error { return c.r.wait(ctx) }

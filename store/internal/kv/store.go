package kv

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/hookstream-go/hookstream/store"
)

// Store implements store.Store over an Engine.
type Store struct {
	name   string
	engine Engine

	mu     sync.RWMutex // held for reading by every call, for writing by Close
	closed bool

	localClaim atomic.Bool // a scheduler keeps this queue's leases in memory (peek.go)
}

var _ store.Store = (*Store)(nil)

// New returns a Store over the engine. Errors are prefixed with name (the
// engine's package name).
func New(name string, engine Engine) *Store {
	return &Store{name: name, engine: engine}
}

// Close closes the engine once every call in progress has returned. Calls
// after Close, Close included, return store.ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return s.wrap("close", store.ErrClosed)
	}
	s.closed = true
	return s.wrap("close", s.engine.Close())
}

// view runs fn in a read transaction and wraps its error with op.
func (s *Store) view(ctx context.Context, op string, fn func(Tx) error) error {
	return s.wrap(op, s.run(ctx, s.engine.View, fn))
}

// update runs fn in a write transaction and wraps its error with op.
func (s *Store) update(ctx context.Context, op string, fn func(Tx) error) error {
	return s.wrap(op, s.run(ctx, s.engine.Update, fn))
}

func (s *Store) run(ctx context.Context, txn func(func(Tx) error) error, fn func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return store.ErrClosed
	}
	return txn(fn)
}

func (s *Store) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %s: %w", s.name, op, err)
}

// mark is the value of index keys that need none.
var mark = []byte{1}

// record encodes v as JSON after an 8-byte sequence number.
func record(seq uint64, v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return withSeq(seq, data), nil
}

// withSeq returns the record of the sequence number and JSON data.
func withSeq(seq uint64, data []byte) []byte {
	return append(binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(data)), seq), data...)
}

// readRecord decodes a value written by record into v and returns its
// sequence number.
func readRecord(b []byte, v any) (uint64, error) {
	seq, data, ok := readU64(b)
	if !ok {
		return 0, errCorrupt
	}
	return seq, json.Unmarshal(data, v)
}

// errCorrupt reports a stored value or key that cannot be decoded.
var errCorrupt = errors.New("corrupt record")

// encodeCursor returns the cursor continuing after key k.
func encodeCursor(k []byte) string { return base64.RawURLEncoding.EncodeToString(k) }

// decodeCursor returns the key a cursor continues after; it must start
// with prefix. An empty cursor gives nil.
func decodeCursor(c string, prefix []byte) ([]byte, error) {
	if c == "" {
		return nil, nil
	}
	k, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !bytes.HasPrefix(k, prefix) || len(k) == len(prefix) {
		return nil, store.ErrInvalidCursor
	}
	return k, nil
}

// scan walks the keys of b that start with prefix, from the first one
// after the cursor key `after` (or from the start when it is nil), until fn
// returns false.
func scan(b Bucket, prefix, after []byte, fn func(k, v []byte) bool) {
	c := b.Cursor()
	var k, v []byte
	if after == nil {
		k, v = c.Seek(prefix)
	} else if k, v = c.Seek(after); bytes.Equal(k, after) {
		k, v = c.Next()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if !fn(k, v) {
			return
		}
	}
}

// scanIDs is scan over an index whose values name IDs (idValue): fn gets
// each key and the ID it names. It fails with errCorrupt at a malformed
// value.
func scanIDs(b Bucket, prefix []byte, fn func(k []byte, id string) bool) error {
	var err error
	scan(b, prefix, nil, func(k, v []byte) bool {
		id, ok := readIDValue(v)
		if !ok {
			err = errCorrupt
			return false
		}
		return fn(k, id)
	})
	return err
}

// copyBytes returns a copy of b that outlives the transaction.
func copyBytes(b []byte) []byte { return append([]byte(nil), b...) }

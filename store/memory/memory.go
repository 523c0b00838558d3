// Package memory provides a store.Store kept in memory: nothing survives
// Close or the process. It is meant for tests, examples and gateways whose
// events may be lost on restart.
//
// It shares its logic with store/bolt (package store/internal/kv) and runs
// over ordered maps (github.com/google/btree), one per bucket. Writes are
// serialized by one lock and are atomic: a failed write is undone from a
// journal of the previous values. Values are copied in and out, so callers
// never share memory with the store.
package memory

import (
	"bytes"
	"errors"
	"sync"

	"github.com/google/btree"
	"github.com/hookstream-go/hookstream/store/internal/kv"
)

// Store is an in-memory store.Store. Its methods are those of the
// store.Store interface, documented there.
type Store struct {
	*kvStore
}

type kvStore = kv.Store

// New returns an empty Store.
func New() *Store {
	e := new(engine)
	for i := range e.trees {
		t := &tree{items: btree.NewG(32, func(a, b item) bool { return bytes.Compare(a.key, b.key) < 0 })}
		e.read[i], e.write[i] = &bucket{tree: t}, &bucket{tree: t, writable: true}
		e.trees[i] = t
	}
	return &Store{kv.New("memory", e)}
}

// engine implements kv.Engine with one btree per bucket.
type engine struct {
	mu          sync.RWMutex
	trees       [kv.NumBuckets]*tree
	read, write [kv.NumBuckets]*bucket
}

type tree struct {
	items *btree.BTreeG[item]
	seq   uint64
}

// item is a key and its value; both are owned by the tree and never
// modified.
type item struct{ key, value []byte }

// tx is a transaction: the lock of the engine is held while it runs.
type tx struct {
	buckets *[kv.NumBuckets]*bucket
}

func (t tx) Bucket(id kv.BucketID) kv.Bucket { return t.buckets[id] }

func (e *engine) View(fn func(kv.Tx) error) error {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return fn(tx{&e.read})
}

func (e *engine) Update(fn func(kv.Tx) error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	j := kv.NewJournal(tx{&e.write})
	if err := fn(j); err != nil {
		return errors.Join(err, j.RollbackTo(0))
	}
	return nil
}

func (e *engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, t := range e.trees {
		t.items.Clear(false)
	}
	return nil
}

// errReadOnly reports a write in a read transaction.
var errReadOnly = errors.New("memory: write in a read-only transaction")

// bucket implements kv.Bucket over a tree.
type bucket struct {
	*tree
	writable bool
}

func (b *bucket) Get(key []byte) []byte {
	it, _ := b.items.Get(item{key: key})
	return it.value
}

func (b *bucket) Put(key, value []byte) error {
	if !b.writable {
		return errReadOnly
	}
	b.items.ReplaceOrInsert(item{key: bytes.Clone(key), value: bytes.Clone(value)})
	return nil
}

func (b *bucket) Delete(key []byte) error {
	if !b.writable {
		return errReadOnly
	}
	b.items.Delete(item{key: key})
	return nil
}

func (b *bucket) Cursor() kv.Cursor { return &cursor{items: b.items} }

func (b *bucket) Sequence() uint64 { return b.seq }

func (b *bucket) SetSequence(v uint64) error {
	if !b.writable {
		return errReadOnly
	}
	b.seq = v
	return nil
}

func (b *bucket) NextSequence() (uint64, error) {
	if !b.writable {
		return 0, errReadOnly
	}
	b.seq++
	return b.seq, nil
}

// cursor implements kv.Cursor by searching the tree again at each step,
// from the key it is at.
type cursor struct {
	items *btree.BTreeG[item]
	at    []byte // nil: past the end
}

func (c *cursor) Seek(seek []byte) (key, value []byte) { return c.move(seek, false) }

func (c *cursor) Next() (key, value []byte) {
	if c.at == nil {
		return nil, nil
	}
	return c.move(c.at, true)
}

func (c *cursor) Prev() (key, value []byte) {
	if c.at == nil {
		return nil, nil
	}
	var found item
	c.items.DescendLessOrEqual(item{key: c.at}, func(it item) bool {
		if bytes.Equal(it.key, c.at) {
			return true
		}
		found = it
		return false
	})
	c.at = found.key
	return found.key, found.value
}

func (c *cursor) Last() (key, value []byte) {
	last, _ := c.items.Max()
	c.at = last.key
	return last.key, last.value
}

// move goes to the first key not before from (after it, when strict).
func (c *cursor) move(from []byte, strict bool) (key, value []byte) {
	var found item
	c.items.AscendGreaterOrEqual(item{key: from}, func(it item) bool {
		if strict && bytes.Equal(it.key, from) {
			return true
		}
		found = it
		return false
	})
	c.at = found.key
	return found.key, found.value
}

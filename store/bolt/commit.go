package bolt

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/hookstream-go/hookstream/store/internal/kv"
	bbolt "go.etcd.io/bbolt"
)

// maxBatch bounds how many writes one transaction commits, so that a burst
// of writers cannot make one transaction (and its callers' wait) grow
// without end.
const maxBatch = 1000

// engine implements kv.Engine over bbolt with group commit, in the manner
// of LevelDB's writer queue: Update queues its function; the first writer
// to find no commit in progress leads: it takes every function queued (its
// own first), runs them in one bbolt transaction (see commit), commits
// once, and answers them all. Then it hands the lead to the writer at the
// head of the queue, if any. A lone writer thus commits on its own
// goroutine, with no hand-off.
type engine struct {
	db    *bbolt.DB
	names [kv.NumBuckets][]byte

	mu      sync.Mutex
	queue   []*request
	leading bool // a writer is committing
}

// request is one Update waiting for its commit.
type request struct {
	fn    func(kv.Tx) error
	err   error
	panic any  // recovered from fn, raised again in the caller
	lead  bool // set before wake when handed the lead
	wake  chan struct{}
}

func newEngine(db *bbolt.DB) *engine {
	e := &engine{db: db}
	for i, name := range kv.Buckets {
		e.names[i] = []byte(name)
	}
	return e
}

// createBuckets creates the buckets that do not exist yet.
func (e *engine) createBuckets() error {
	return e.db.Update(func(tx *bbolt.Tx) error {
		for _, name := range e.names {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
}

func (e *engine) View(fn func(kv.Tx) error) error {
	return e.db.View(func(tx *bbolt.Tx) error { return fn(&boltTx{tx: tx, names: &e.names}) })
}

func (e *engine) Update(fn func(kv.Tx) error) error {
	r := &request{fn: fn, wake: make(chan struct{}, 1)}
	e.mu.Lock()
	e.queue = append(e.queue, r)
	lead := !e.leading
	e.leading = true
	e.mu.Unlock()
	if !lead {
		<-r.wake // committed, or handed the lead
		lead = r.lead
	}
	if lead {
		e.lead()
	}
	if r.panic != nil {
		panic(r.panic)
	}
	return r.err
}

// lead commits the head of the queue, then passes the lead on.
func (e *engine) lead() {
	e.mu.Lock()
	n := min(len(e.queue), maxBatch)
	batch := slices.Clone(e.queue[:n])
	clear(e.queue[:n])
	e.queue = e.queue[n:]
	e.mu.Unlock()

	e.commit(batch)
	for _, r := range batch[1:] {
		r.wake <- struct{}{}
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.queue) == 0 {
		e.queue, e.leading = nil, false
		return
	}
	next := e.queue[0]
	next.lead = true
	next.wake <- struct{}{}
}

// Close closes the file. kv.Store calls it once no Update is in progress.
func (e *engine) Close() error { return e.db.Close() }

// Results of a run of a batch that abort its transaction.
var (
	// errNoWrites: nothing was written; rolling back saves an fsync.
	errNoWrites = errors.New("no writes")
	// errFailed: a function failed in a run without journal.
	errFailed = errors.New("write failed")
)

// commit runs the batch in one transaction and commits it. It first runs
// the functions as they are, with no overhead; should one fail, the
// transaction is rolled back and the batch runs again journaled: each
// failed function is rolled back to its savepoint and gets its own error,
// and the others commit.
func (e *engine) commit(batch []*request) {
	err := e.db.Update(func(tx *bbolt.Tx) error { return e.run(tx, batch, false) })
	if errors.Is(err, errFailed) && len(batch) > 1 {
		err = e.db.Update(func(tx *bbolt.Tx) error { return e.run(tx, batch, true) })
	}
	if errors.Is(err, errNoWrites) || errors.Is(err, errFailed) {
		err = nil
	}
	if err != nil {
		for _, r := range batch {
			if r.err == nil && r.panic == nil {
				r.err = err
			}
		}
	}
}

// run runs the functions of the batch in tx. Without journal it stops at
// the first that fails, returning errFailed. The rollups the functions
// that succeed add to are summed and written once each, at the end.
func (e *engine) run(btx *bbolt.Tx, batch []*request, journaled bool) error {
	t := &boltTx{tx: btx, names: &e.names, tally: new(kv.Tally)}
	var (
		tx  kv.Tx = t
		j   *kv.Journal
		sum kv.Tally
	)
	if journaled {
		j = kv.NewJournal(t)
		tx = j
	}
	for _, r := range batch {
		sp := 0
		if j != nil {
			sp = j.Savepoint()
		}
		t.tally.Reset()
		if r.panic, r.err = call(r.fn, tx); r.err == nil && r.panic == nil {
			sum.Merge(t.tally)
			continue
		}
		if j == nil {
			return errFailed
		}
		if err := j.RollbackTo(sp); err != nil {
			return fmt.Errorf("roll back: %w", err)
		}
	}
	t.tally = nil
	if err := sum.Write(t); err != nil {
		return fmt.Errorf("write rollups: %w", err)
	}
	if !t.dirty {
		return errNoWrites
	}
	return nil
}

// call runs fn, recovering a panic.
func call(fn func(kv.Tx) error, tx kv.Tx) (panicked any, err error) {
	defer func() { panicked = recover() }()
	return nil, fn(tx)
}

// appendedFill is how full the pages of kv.Appended buckets are left when
// they split (bbolt's default, 0.5, suits keys inserted anywhere); short of
// 1 to leave room for keys that arrive a little out of order and for
// delivery records that grow with a lease.
const appendedFill = 0.9

// boltTx implements kv.Tx, noting whether it wrote. In a batch, it is a
// kv.Tallier: tally gathers the rollups of the write it runs.
type boltTx struct {
	tx      *bbolt.Tx
	names   *[kv.NumBuckets][]byte
	buckets [kv.NumBuckets]*bucket
	dirty   bool
	tally   *kv.Tally
}

// Tally implements kv.Tallier: nil outside a batch (InsertEventTx), where
// rollups are written at once.
func (t *boltTx) Tally() *kv.Tally { return t.tally }

func (t *boltTx) Bucket(id kv.BucketID) kv.Bucket {
	if b := t.buckets[id]; b != nil {
		return b
	}
	b := &bucket{Bucket: t.tx.Bucket(t.names[id]), tx: t}
	switch {
	case id == kv.BucketEventRecords:
		b.FillPercent = 1 // never rewritten: pages can be full
	case kv.Appended(id):
		b.FillPercent = appendedFill
	}
	t.buckets[id] = b
	return b
}

// bucket implements kv.Bucket. Get reads through one cursor per bucket
// and transaction, positioned afresh by each Seek: bbolt's own Get makes
// a cursor, and grows its stack, on every call.
type bucket struct {
	*bbolt.Bucket
	tx     *boltTx
	getter *bbolt.Cursor
}

func (b *bucket) Get(key []byte) []byte {
	if b.getter == nil {
		b.getter = b.Bucket.Cursor()
	}
	k, v := b.getter.Seek(key)
	if !bytes.Equal(k, key) {
		return nil
	}
	return v
}

func (b *bucket) Cursor() kv.Cursor { return b.Bucket.Cursor() }

func (b *bucket) Put(key, value []byte) error {
	b.tx.dirty = true
	return b.Bucket.Put(key, value)
}

func (b *bucket) Delete(key []byte) error {
	b.tx.dirty = true
	return b.Bucket.Delete(key)
}

func (b *bucket) SetSequence(v uint64) error {
	b.tx.dirty = true
	return b.Bucket.SetSequence(v)
}

func (b *bucket) NextSequence() (uint64, error) {
	b.tx.dirty = true
	return b.Bucket.NextSequence()
}

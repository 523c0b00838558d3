// Package bolt provides the default store.Store: one bbolt file
// (go.etcd.io/bbolt) on the local disk, needing no server.
//
// Every write is durable (fsynced) when its method returns. Concurrent
// writes share their commit and fsync (group commit): while one commit is
// in progress the others queue, and the next commit takes them all in one
// bbolt transaction, each still atomic on its own. A lone writer commits at
// once, with no added delay.
//
// Open brings a file that an earlier version wrote to the current layout
// before it returns: a conversion made once, in transactions of 10,000
// entries (one cut short goes on at the next Open), about 5 s per million
// events.
//
// A file is opened by one Store at a time: a second Open, from this
// process or another, fails with ErrLocked after Options.Timeout instead of
// waiting for the lock.
package bolt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/hookstream-go/hookstream/store/internal/kv"
	bbolt "go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"
)

// DefaultTimeout is how long Open waits for the file lock by default.
const DefaultTimeout = time.Second

// DefaultMode is the permission bits of a new database file by default.
const DefaultMode os.FileMode = 0o600

// ErrLocked is returned (wrapped) by Open when another Store holds the file.
var ErrLocked = errors.New("bolt: database file is locked by another process")

// Options configures Open. A nil *Options, like every zero field, means
// the defaults.
type Options struct {
	// Timeout is how long Open waits for another process to release the
	// file before it fails with ErrLocked. Defaults to DefaultTimeout.
	Timeout time.Duration
	// Mode is the permission bits of a new file. Defaults to DefaultMode.
	Mode os.FileMode
	// NoSync skips fsync: a crash may lose or corrupt recent writes. Meant
	// for tests and throwaway data only. Defaults to false.
	NoSync bool
}

// Store is a store.Store in a bbolt file. Its methods are those of the
// store.Store interface, documented there. Writes of concurrent calls are
// committed together, in one transaction and one fsync; a call that fails
// (with store.ErrConflict, for example) is rolled back alone, without
// failing the others.
type Store struct {
	*kvStore
	engine *engine
}

var _ store.TxEventInserter[*bbolt.Tx] = (*Store)(nil)

type kvStore = kv.Store

// Open opens the database file at path, creating it if needed, and returns
// a Store over it. Close the Store to release the file.
func Open(path string, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Mode == 0 {
		o.Mode = DefaultMode
	}
	db, err := bbolt.Open(path, o.Mode, &bbolt.Options{
		Timeout:      o.Timeout,
		NoSync:       o.NoSync,
		FreelistType: bbolt.FreelistMapType,
		// The freelist is rebuilt from the pages at open instead of being
		// rewritten by every commit: fewer bytes per commit, the same
		// durability (etcd runs this way).
		NoFreelistSync: true,
	})
	if errors.Is(err, bberrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s", ErrLocked, path)
	}
	if err != nil {
		return nil, fmt.Errorf("bolt: open: %w", err)
	}
	e := newEngine(db)
	if err := e.createBuckets(); err != nil {
		return nil, errors.Join(fmt.Errorf("bolt: open: %w", err), db.Close())
	}
	s := &Store{kvStore: kv.New("bolt", e), engine: e}
	if _, err := kv.Upgrade(context.Background(), s.kvStore); err != nil {
		return nil, errors.Join(fmt.Errorf("bolt: open: %w", err), db.Close())
	}
	return s, nil
}

// DB returns the bbolt database of the store, so an application can keep
// its own buckets in the same file and write them in the same transaction
// as an event (see InsertEventTx). Never touch hookstream's own buckets.
func (s *Store) DB() *bbolt.DB { return s.engine.db }

// InsertEventTx is InsertEvent inside tx, a writable *bbolt.Tx of s.DB()
// that the caller owns: the event and its deliveries are stored if and
// only if the caller commits tx. Durability follows the caller's commit.
func (s *Store) InsertEventTx(ctx context.Context, btx *bbolt.Tx, e *store.Event, ds []*store.Delivery) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bolt: insert event: %w", err)
	}
	if btx == nil || btx.DB() != s.engine.db || !btx.Writable() {
		return errors.New("bolt: insert event: transaction is not a writable transaction of this store's database")
	}
	return s.InsertEventIn(&boltTx{tx: btx, names: &s.engine.names}, e, ds)
}

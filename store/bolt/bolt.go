// Package bolt provides the default store.Store: one bbolt file
// (go.etcd.io/bbolt) on the local disk, needing no server.
//
// Every write is durable (fsynced) when its method returns. Concurrent
// writes share their commit and fsync (group commit): while one commit is
// in progress the others queue, and the next commit takes them all in one
// bbolt transaction, each still atomic on its own. A lone writer commits at
// once, with no added delay.
//
// A file is opened by one Store at a time: a second Open, from this
// process or another, fails with ErrLocked after Options.Timeout instead of
// waiting for the lock.
package bolt

import (
	"errors"
	"fmt"
	"os"
	"time"

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
}

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
	return &Store{kv.New("bolt", e)}, nil
}

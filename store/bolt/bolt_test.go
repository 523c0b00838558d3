package bolt_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/hookstream-go/hookstream/store/bolt"
	"github.com/hookstream-go/hookstream/store/storetest"
)

func open(t *testing.T, path string) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(path, nil)
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, filepath.Join(t.TempDir(), "hookstream.db"))
	})
}

func TestStore_Reopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookstream.db")
	storetest.RunReopen(t, func(t *testing.T) store.Store { return open(t, path) })
}

func TestOpen_Locked(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookstream.db")
	s := open(t, path)
	defer s.Close()
	start := time.Now()
	second, err := bolt.Open(path, &bolt.Options{Timeout: 200 * time.Millisecond})
	if err == nil {
		second.Close()
		t.Fatal("second Open of a locked file succeeded")
	}
	if !errors.Is(err, bolt.ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("second Open failed after %v", d)
	}
}

func TestOpen_LockedDefaultTimeout(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookstream.db")
	s := open(t, path)
	defer s.Close()
	start := time.Now()
	_, err := bolt.Open(path, nil)
	if d := time.Since(start); !errors.Is(err, bolt.ErrLocked) || d > 2*time.Second {
		t.Fatalf("second Open = %v after %v, want ErrLocked within 2s", err, d)
	}
	t.Log(err)
}

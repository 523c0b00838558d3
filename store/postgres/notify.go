package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/jackc/pgx/v5"
)

// notify asks the notifier to tell every process's listeners that
// deliveries may be due. It never blocks: requests made while a
// notification is being sent are sent together, once.
func (s *Store) notify() {
	select {
	case s.notifyReq <- struct{}{}:
	default:
	}
}

// runNotifier sends the notifications notify asks for, at most one per
// Options.NotifyInterval, until Close. A notification is its own statement
// after the write it announces committed: the write never waits for
// PostgreSQL's notification queue lock, and a notification lost in a crash
// only delays the other schedulers until they poll.
func (s *Store) runNotifier() {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.notifyReq:
		}
		if _, err := s.pool.Exec(s.ctx, "SELECT pg_notify($1, '')", s.channel); err != nil && s.ctx.Err() != nil {
			return
		}
		timer.Reset(s.opts.NotifyInterval)
		select {
		case <-s.ctx.Done():
			return
		case <-timer.C:
		}
	}
}

// listeners are the channels of Listen, served by one listening
// connection per Store.
type listeners struct {
	mu      sync.Mutex
	subs    map[chan struct{}]struct{}
	started bool
	sealed  bool // by Close: no listener starts any more
}

// seal makes Listen refuse to start a listener: once it returns, every
// listener goroutine there will be has been started.
func (l *listeners) seal() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sealed = true
}

// wake sends a value to every listener that has none waiting.
func (l *listeners) wake() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for ch := range l.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Listen implements store.Notifier. The first call starts the store's
// listener: a connection of its own (outside the pool) that LISTENs on
// the schema's channel and wakes every channel Listen returned at each
// notification. When that connection is lost, the listener wakes them at
// once and again at each attempt to reconnect (every
// Options.ReconnectInterval), so schedulers poll while notifications
// cannot arrive; once listening again, it wakes them for whatever was
// missed. The channel is never closed; it receives nothing after ctx is
// done.
func (s *Store) Listen(ctx context.Context) (<-chan struct{}, error) {
	if err := s.begin(ctx, "listen"); err != nil {
		return nil, err
	}
	ch := make(chan struct{}, 1)
	l := &s.listeners
	l.mu.Lock()
	if l.sealed {
		l.mu.Unlock()
		return nil, fmt.Errorf("postgres: listen: %w", store.ErrClosed)
	}
	l.subs[ch] = struct{}{}
	if !l.started {
		l.started = true
		ready := make(chan struct{})
		s.wg.Go(func() { s.runListener(ready) })
		l.mu.Unlock()
		// The first connection is made before Listen returns, so that a
		// notification sent after it reaches ch.
		select {
		case <-ready:
		case <-ctx.Done():
		case <-s.ctx.Done():
		}
	} else {
		l.mu.Unlock()
	}
	context.AfterFunc(ctx, func() {
		l.mu.Lock()
		delete(l.subs, ch)
		l.mu.Unlock()
	})
	return ch, nil
}

// listenerPing is how long the listener waits for a notification before
// it checks that its connection is alive.
const listenerPing = 30 * time.Second

// runListener keeps a listening connection until Close. ready is closed
// once the first connection listens, or the first attempt failed.
func (s *Store) runListener(ready chan struct{}) {
	once := sync.OnceFunc(func() { close(ready) })
	defer once()
	retry := time.NewTimer(0)
	defer retry.Stop()
	<-retry.C
	for first := true; ; first = false {
		err := s.listenOnce(once)
		if s.ctx.Err() != nil {
			return
		}
		_ = err // the connection is lost: poll until a new one listens
		once()
		if !first {
			s.listeners.wake()
		}
		retry.Reset(s.opts.ReconnectInterval)
		select {
		case <-s.ctx.Done():
			return
		case <-retry.C:
		}
		s.listeners.wake()
	}
}

// listenOnce connects, listens, and wakes the listeners at each
// notification until the connection fails or the store closes.
func (s *Store) listenOnce(listening func()) error {
	cfg := s.pool.Config().ConnConfig
	conn, err := pgx.ConnectConfig(s.ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(s.ctx, "LISTEN "+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		return err
	}
	listening()
	s.listeners.wake() // whatever became due while nobody listened
	for {
		ctx, cancel := context.WithTimeout(s.ctx, listenerPing)
		_, err := conn.WaitForNotification(ctx)
		cancel()
		switch {
		case err == nil:
			s.listeners.wake()
		case errors.Is(err, context.DeadlineExceeded) && s.ctx.Err() == nil:
			pctx, cancel := context.WithTimeout(s.ctx, listenerPing)
			err = conn.Ping(pctx)
			cancel()
			if err != nil {
				return err
			}
		default:
			return err
		}
	}
}

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

// configPayload is the payload of a notification that configuration
// changed; a notification of new work has none.
const configPayload = "config"

// notifyConfig tells every process's config listeners that configuration
// changed, after the write committed. A failure is not reported: the other
// processes' caches then expire by their TTL, as after a lost
// notification.
func (s *Store) notifyConfig(ctx context.Context, kind store.Kind) {
	if !configKinds[kind] {
		return
	}
	_, _ = s.pool.Exec(ctx, "SELECT pg_notify($1, $2)", s.channel, configPayload)
}

// configKinds are the resource kinds routing caches hold: writes of
// other kinds notify no one.
var configKinds = map[store.Kind]bool{
	store.KindSource: true, store.KindDestination: true, store.KindConnection: true,
	store.KindTopic: true, store.KindSubscription: true, store.KindEnvironment: true, store.KindAPIKey: true,
}

// listeners are the channels of Listen and ListenConfig, served by one
// listening connection per Store.
type listeners struct {
	mu      sync.Mutex
	subs    map[chan struct{}]struct{} // Listen's
	config  map[chan struct{}]struct{} // ListenConfig's
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

// wake sends a value to every Listen channel that has none waiting.
func (l *listeners) wake() { l.wakeAll(l.subs) }

// wakeConfig sends a value to every ListenConfig channel that has none
// waiting.
func (l *listeners) wakeConfig() { l.wakeAll(l.config) }

// wakeEvery wakes both kinds, for what was missed while nobody listened.
func (l *listeners) wakeEvery() {
	l.wake()
	l.wakeConfig()
}

func (l *listeners) wakeAll(subs map[chan struct{}]struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for ch := range subs {
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
	return s.listen(ctx, "listen", func(l *listeners) map[chan struct{}]struct{} { return l.subs })
}

// ListenConfig implements store.ConfigNotifier, on the connection that
// serves Listen: a write of a source, destination, connection, topic,
// subscription, environment or API key notifies every process once it
// committed (the write's call returns after the notification is sent).
// Like Listen's, the channel is woken when the connection is lost and
// again once listening anew.
func (s *Store) ListenConfig(ctx context.Context) (<-chan struct{}, error) {
	return s.listen(ctx, "listen for configuration", func(l *listeners) map[chan struct{}]struct{} { return l.config })
}

// listen adds a channel to the set of listeners that subs selects,
// starting the listener on first use.
func (s *Store) listen(ctx context.Context, op string, subs func(*listeners) map[chan struct{}]struct{}) (<-chan struct{}, error) {
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	ch := make(chan struct{}, 1)
	l := &s.listeners
	l.mu.Lock()
	if l.sealed {
		l.mu.Unlock()
		return nil, fmt.Errorf("postgres: %s: %w", op, store.ErrClosed)
	}
	subs(l)[ch] = struct{}{}
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
		delete(subs(l), ch)
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
			s.listeners.wakeEvery()
		}
		retry.Reset(s.opts.ReconnectInterval)
		select {
		case <-s.ctx.Done():
			return
		case <-retry.C:
		}
		s.listeners.wakeEvery()
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
	s.listeners.wakeEvery() // whatever happened while nobody listened
	for {
		ctx, cancel := context.WithTimeout(s.ctx, listenerPing)
		n, err := conn.WaitForNotification(ctx)
		cancel()
		switch {
		case err == nil && n.Payload == configPayload:
			s.listeners.wakeConfig()
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

package hookstream

import (
	"log/slog"
	"sync"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

// StoreErrorLogInterval is how often at most one kind of store failure
// is logged: while the store fails, the scheduler would otherwise log
// each failed read and write. The next line of a kind counts the ones
// left out (suppressed).
const StoreErrorLogInterval = 10 * time.Second

// errorLog logs errors at most once per kind (the message) per
// StoreErrorLogInterval, on the Router's clock.
type errorLog struct {
	log *slog.Logger
	now func() time.Time
	mu  sync.Mutex
	// kinds are keyed by message, or by a kind of the caller's: the
	// constant strings of the call sites and the API's route patterns, so
	// the map stays small.
	kinds map[string]*errorKind
}

type errorKind struct {
	loggedAt   time.Time
	suppressed int
}

func newErrorLog(log *slog.Logger, now func() time.Time) *errorLog {
	return &errorLog{log: log, now: now, kinds: map[string]*errorKind{}}
}

// error logs msg with args at ERROR, unless a line of msg was logged less
// than StoreErrorLogInterval ago: then it only counts it.
func (l *errorLog) error(msg string, args ...any) { l.errorOfKind(msg, msg, args...) }

// errorOfKind is error with a kind other than the message: one of a small,
// fixed set (a route pattern, say), each limited on its own.
func (l *errorLog) errorOfKind(kind, msg string, args ...any) {
	now := l.now()
	l.mu.Lock()
	k := l.kinds[kind]
	if k == nil {
		k = &errorKind{}
		l.kinds[kind] = k
	}
	if !k.loggedAt.IsZero() && now.Sub(k.loggedAt) < StoreErrorLogInterval {
		k.suppressed++
		l.mu.Unlock()
		return
	}
	suppressed := k.suppressed
	k.loggedAt, k.suppressed = now, 0
	l.mu.Unlock()
	if suppressed > 0 {
		args = append(args, "suppressed", suppressed)
	}
	l.log.Error(msg, args...)
}

// logStoreError logs a failure of the store at ERROR, rate-limited per
// message (see StoreErrorLogInterval).
func (r *Router) logStoreError(msg string, args ...any) { r.errors.error(msg, args...) }

// logDeadLetter logs a delivery that ended dead, with the reason: its last
// attempt's error (a refusal, a timeout) or the status the receiver
// answered.
func (r *Router) logDeadLetter(a *store.Attempt) {
	r.log.Warn("hookstream: delivery dead-lettered", "delivery_id", a.DeliveryID, "event_id", a.EventID,
		"destination_id", a.DestinationID, "attempt", a.AttemptNumber, "reason", a.Error)
}

// logCircuitChange logs a destination's circuit moving from the state
// from to c.
func (r *Router) logCircuitChange(destID, from string, c store.Circuit) {
	args := []any{"destination_id", destID, "from", from, "to", circuitState(c), "failures", c.FailureCount}
	if !c.NextProbeAt.IsZero() {
		args = append(args, "next_probe_at", c.NextProbeAt)
	}
	r.log.Info("hookstream: circuit changed", args...)
}

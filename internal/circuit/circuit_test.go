package circuit

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

var t0 = time.Date(2026, 3, 1, 14, 30, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// eq reports whether two circuits are the same, comparing times by instant.
func eq(a, b store.Circuit) bool {
	return a.State == b.State && a.FailureCount == b.FailureCount &&
		a.OpenedAt.Equal(b.OpenedAt) && a.NextProbeAt.Equal(b.NextProbeAt) &&
		a.LastTransitionAt.Equal(b.LastTransitionAt)
}

func show(c store.Circuit) string {
	f := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.Sub(t0).String()
	}
	return fmt.Sprintf("{%s n=%d opened=%s probe=%s transition=%s}",
		c.State, c.FailureCount, f(c.OpenedAt), f(c.NextProbeAt), f(c.LastTransitionAt))
}

var (
	cfg      = Config{Enabled: true, Threshold: 3, Reset: time.Minute}
	off      = Config{Enabled: false, Threshold: 3, Reset: time.Minute}
	closedC  = store.Circuit{State: store.CircuitClosed, FailureCount: 1, LastTransitionAt: at(-time.Hour)}
	openC    = store.Circuit{State: store.CircuitOpen, FailureCount: 3, OpenedAt: t0, NextProbeAt: at(time.Minute), LastTransitionAt: t0}
	halfOpen = store.Circuit{State: store.CircuitHalfOpen, FailureCount: 3, OpenedAt: t0, NextProbeAt: at(2 * time.Minute), LastTransitionAt: at(time.Minute)}
)

func TestConfig_Defaults(t *testing.T) {
	t.Parallel()
	if got, want := DefaultConfig(), (Config{Enabled: true, Threshold: 5, Reset: 60 * time.Second}); got != want {
		t.Errorf("DefaultConfig() = %+v, want %+v", got, want)
	}
	tests := []struct {
		in, want Config
	}{
		{Config{}, Config{Threshold: 5, Reset: time.Minute, ProbeTimeout: time.Minute}},
		{Config{Threshold: -1, Reset: -time.Second, ProbeTimeout: -1}, Config{Threshold: 5, Reset: time.Minute, ProbeTimeout: time.Minute}},
		{Config{Threshold: 2, Reset: time.Second}, Config{Threshold: 2, Reset: time.Second, ProbeTimeout: time.Second}},
		{Config{Threshold: 2, Reset: time.Second, ProbeTimeout: time.Hour}, Config{Threshold: 2, Reset: time.Second, ProbeTimeout: time.Hour}},
	}
	for _, tt := range tests {
		if got := tt.in.withDefaults(); got != tt.want {
			t.Errorf("%+v.withDefaults() = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestConfig_Validate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		cfg       Config
		wantField string
	}{
		{"default", DefaultConfig(), ""},
		{"zero", Config{}, ""},
		{"threshold 1", Config{Enabled: true, Threshold: 1}, ""},
		{"negative threshold", Config{Enabled: true, Threshold: -1}, "circuit_breaker_threshold"},
		{"negative reset", Config{Enabled: true, Reset: -time.Millisecond}, "circuit_breaker_reset_ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.wantField {
				t.Fatalf("Validate() = %v, want *FieldError for %s", err, tt.wantField)
			}
		})
	}
}

func TestAllow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		c         store.Circuit
		cfg       Config
		now       time.Time
		wantAdmit bool
		wantProbe bool
		want      store.Circuit
	}{
		{"zero value is closed", store.Circuit{}, cfg, t0, true, false, store.Circuit{}},
		{"closed", closedC, cfg, t0, true, false, closedC},
		{"open before probe time", openC, cfg, at(59 * time.Second), false, false, openC},
		{"open at probe time", openC, cfg, at(time.Minute), true, true,
			store.Circuit{State: store.CircuitHalfOpen, FailureCount: 3, OpenedAt: t0, NextProbeAt: at(2 * time.Minute), LastTransitionAt: at(time.Minute)}},
		{"open long after probe time", openC, cfg, at(time.Hour), true, true,
			store.Circuit{State: store.CircuitHalfOpen, FailureCount: 3, OpenedAt: t0, NextProbeAt: at(time.Hour + time.Minute), LastTransitionAt: at(time.Hour)}},
		{"open probe deadline from ProbeTimeout", openC, Config{Enabled: true, Threshold: 3, Reset: time.Minute, ProbeTimeout: 5 * time.Minute}, at(time.Minute), true, true,
			store.Circuit{State: store.CircuitHalfOpen, FailureCount: 3, OpenedAt: t0, NextProbeAt: at(6 * time.Minute), LastTransitionAt: at(time.Minute)}},
		{"open without probe time probes", store.Circuit{State: store.CircuitOpen, FailureCount: 3}, cfg, t0, true, true,
			store.Circuit{State: store.CircuitHalfOpen, FailureCount: 3, NextProbeAt: at(time.Minute), LastTransitionAt: t0}},
		{"half-open probe in flight", halfOpen, cfg, at(90 * time.Second), false, false, halfOpen},
		{"half-open probe lost", halfOpen, cfg, at(2 * time.Minute), true, true,
			store.Circuit{State: store.CircuitHalfOpen, FailureCount: 3, OpenedAt: t0, NextProbeAt: at(3 * time.Minute), LastTransitionAt: at(time.Minute)}},
		{"half-open without deadline probes", store.Circuit{State: store.CircuitHalfOpen}, cfg, t0, true, true,
			store.Circuit{State: store.CircuitHalfOpen, NextProbeAt: at(time.Minute)}},
		{"disabled closed", closedC, off, t0, true, false, closedC},
		{"disabled open admits", openC, off, at(time.Second), true, false, openC},
		{"disabled half-open admits", halfOpen, off, at(time.Second), true, false, halfOpen},
		{"unknown state is closed", store.Circuit{State: "weird"}, cfg, t0, true, false, store.Circuit{State: "weird"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			admit, probe, got := Allow(tt.c, tt.cfg, tt.now)
			if admit != tt.wantAdmit || probe != tt.wantProbe || !eq(got, tt.want) {
				t.Errorf("Allow(%s) = %v, %v, %s; want %v, %v, %s",
					show(tt.c), admit, probe, show(got), tt.wantAdmit, tt.wantProbe, show(tt.want))
			}
		})
	}
}

func TestOnSuccess(t *testing.T) {
	t.Parallel()
	now := at(90 * time.Second)
	tests := []struct {
		name string
		c    store.Circuit
		cfg  Config
		want store.Circuit
	}{
		{"zero value", store.Circuit{}, cfg, store.Circuit{State: store.CircuitClosed}},
		{"closed resets count", closedC, cfg, store.Circuit{State: store.CircuitClosed, LastTransitionAt: closedC.LastTransitionAt}},
		{"half-open probe succeeded", halfOpen, cfg, store.Circuit{State: store.CircuitClosed, LastTransitionAt: now}},
		{"open late success closes", openC, cfg, store.Circuit{State: store.CircuitClosed, LastTransitionAt: now}},
		{"disabled open closes", openC, off, store.Circuit{State: store.CircuitClosed, LastTransitionAt: now}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := OnSuccess(tt.c, tt.cfg, now); !eq(got, tt.want) {
				t.Errorf("OnSuccess(%s) = %s, want %s", show(tt.c), show(got), show(tt.want))
			}
		})
	}
}

func TestOnFailure(t *testing.T) {
	t.Parallel()
	now := at(90 * time.Second)
	tests := []struct {
		name string
		c    store.Circuit
		cfg  Config
		want store.Circuit
	}{
		{"zero value counts", store.Circuit{}, cfg, store.Circuit{State: store.CircuitClosed, FailureCount: 1}},
		{"closed counts", closedC, cfg, store.Circuit{State: store.CircuitClosed, FailureCount: 2, LastTransitionAt: closedC.LastTransitionAt}},
		{"closed at threshold opens",
			store.Circuit{State: store.CircuitClosed, FailureCount: 2, LastTransitionAt: t0}, cfg,
			store.Circuit{State: store.CircuitOpen, FailureCount: 3, OpenedAt: now, NextProbeAt: now.Add(time.Minute), LastTransitionAt: now}},
		{"closed past threshold opens",
			store.Circuit{State: store.CircuitClosed, FailureCount: 7}, cfg,
			store.Circuit{State: store.CircuitOpen, FailureCount: 8, OpenedAt: now, NextProbeAt: now.Add(time.Minute), LastTransitionAt: now}},
		{"threshold 1 opens at once", store.Circuit{}, Config{Enabled: true, Threshold: 1, Reset: time.Second},
			store.Circuit{State: store.CircuitOpen, FailureCount: 1, OpenedAt: now, NextProbeAt: now.Add(time.Second), LastTransitionAt: now}},
		{"default threshold and reset", store.Circuit{FailureCount: 4}, Config{Enabled: true},
			store.Circuit{State: store.CircuitOpen, FailureCount: 5, OpenedAt: now, NextProbeAt: now.Add(DefaultReset), LastTransitionAt: now}},
		{"default threshold not reached", store.Circuit{FailureCount: 3}, Config{Enabled: true},
			store.Circuit{State: store.CircuitClosed, FailureCount: 4}},
		{"half-open probe failed reopens", halfOpen, cfg,
			store.Circuit{State: store.CircuitOpen, FailureCount: 4, OpenedAt: now, NextProbeAt: now.Add(time.Minute), LastTransitionAt: now}},
		{"open late failure keeps probe time", openC, cfg,
			store.Circuit{State: store.CircuitOpen, FailureCount: 4, OpenedAt: t0, NextProbeAt: at(time.Minute), LastTransitionAt: t0}},
		{"disabled never opens", store.Circuit{FailureCount: 0}, Config{Enabled: false, Threshold: 1},
			store.Circuit{State: store.CircuitClosed}},
		{"disabled closes an open circuit", openC, off, store.Circuit{State: store.CircuitClosed, LastTransitionAt: now}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := OnFailure(tt.c, tt.cfg, now); !eq(got, tt.want) {
				t.Errorf("OnFailure(%s) = %s, want %s", show(tt.c), show(got), show(tt.want))
			}
		})
	}
}

func TestAbandon(t *testing.T) {
	t.Parallel()
	now := at(90 * time.Second)
	tests := []struct {
		name string
		c    store.Circuit
		want store.Circuit
	}{
		{"half-open frees the probe", halfOpen,
			store.Circuit{State: store.CircuitHalfOpen, FailureCount: 3, OpenedAt: t0, NextProbeAt: now, LastTransitionAt: at(time.Minute)}},
		{"half-open past deadline unchanged",
			store.Circuit{State: store.CircuitHalfOpen, NextProbeAt: at(time.Second)},
			store.Circuit{State: store.CircuitHalfOpen, NextProbeAt: at(time.Second)}},
		{"closed unchanged", closedC, closedC},
		{"open unchanged", openC, openC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Abandon(tt.c, now)
			if !eq(got, tt.want) {
				t.Errorf("Abandon(%s) = %s, want %s", show(tt.c), show(got), show(tt.want))
			}
			if admit, probe, _ := Allow(got, cfg, now); tt.c.State == store.CircuitHalfOpen && (!admit || !probe) {
				t.Errorf("Allow after Abandon = %v, %v, want a probe", admit, probe)
			}
		})
	}
}

func TestReset(t *testing.T) {
	t.Parallel()
	got := Reset(t0)
	want := store.Circuit{State: store.CircuitClosed, LastTransitionAt: t0}
	if !eq(got, want) {
		t.Errorf("Reset() = %s, want %s", show(got), show(want))
	}
	if admit, probe, _ := Allow(got, cfg, t0); !admit || probe {
		t.Errorf("Allow after Reset = %v, %v, want admit without probe", admit, probe)
	}
}

// TestScenario_FlappingReceiver drives a breaker through a receiver that
// fails, recovers, fails again and recovers for good.
func TestScenario_FlappingReceiver(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig() // threshold 5, reset 60 s
	var c store.Circuit
	now := t0
	step := func(d time.Duration) { now = now.Add(d) }
	allow := func(wantAdmit, wantProbe bool) {
		t.Helper()
		admit, probe, next := Allow(c, cfg, now)
		if admit != wantAdmit || probe != wantProbe {
			t.Fatalf("at %v: Allow(%s) = %v, %v; want %v, %v", now.Sub(t0), show(c), admit, probe, wantAdmit, wantProbe)
		}
		c = next
	}
	wantState := func(state string, failures int) {
		t.Helper()
		if c.State != state || c.FailureCount != failures {
			t.Fatalf("at %v: circuit %s, want %s with %d failures", now.Sub(t0), show(c), state, failures)
		}
	}

	// Four failures, then a success: the count starts over.
	for range 4 {
		allow(true, false)
		c = OnFailure(c, cfg, now)
		step(time.Second)
	}
	wantState(store.CircuitClosed, 4)
	allow(true, false)
	c = OnSuccess(c, cfg, now)
	wantState(store.CircuitClosed, 0)

	// Five consecutive failures open it.
	for i := range 5 {
		step(time.Second)
		allow(true, false)
		c = OnFailure(c, cfg, now)
		if i < 4 {
			wantState(store.CircuitClosed, i+1)
		}
	}
	wantState(store.CircuitOpen, 5)
	openedAt := now
	if !c.OpenedAt.Equal(openedAt) || !c.NextProbeAt.Equal(openedAt.Add(time.Minute)) || !c.LastTransitionAt.Equal(openedAt) {
		t.Fatalf("opened circuit %s", show(c))
	}

	// Refused while open, up to the last instant.
	for _, d := range []time.Duration{0, time.Second, 30 * time.Second, 59*time.Second + 999*time.Millisecond} {
		now = openedAt.Add(d)
		allow(false, false)
	}
	wantState(store.CircuitOpen, 5)

	// After the reset one probe goes, and nothing else.
	now = openedAt.Add(time.Minute)
	allow(true, true)
	wantState(store.CircuitHalfOpen, 5)
	step(time.Second)
	allow(false, false)

	// The probe fails: open again with a fresh wait.
	c = OnFailure(c, cfg, now)
	wantState(store.CircuitOpen, 6)
	reopenedAt := now
	if !c.NextProbeAt.Equal(reopenedAt.Add(time.Minute)) || !c.OpenedAt.Equal(reopenedAt) {
		t.Fatalf("reopened circuit %s", show(c))
	}
	step(30 * time.Second)
	allow(false, false)

	// Next probe: the process crashes before its result is stored. After
	// ProbeTimeout (= Reset) another probe is admitted.
	now = reopenedAt.Add(time.Minute)
	allow(true, true)
	lost := c
	now = now.Add(59 * time.Second)
	allow(false, false)
	now = lost.NextProbeAt
	allow(true, true)
	wantState(store.CircuitHalfOpen, 6)

	// This probe succeeds: closed, the queue flows again.
	step(200 * time.Millisecond)
	c = OnSuccess(c, cfg, now)
	wantState(store.CircuitClosed, 0)
	if !c.OpenedAt.IsZero() || !c.NextProbeAt.IsZero() || !c.LastTransitionAt.Equal(now) {
		t.Fatalf("closed circuit %s", show(c))
	}
	for range 10 {
		step(time.Millisecond)
		allow(true, false)
	}
}

package hookstream

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestRouter_Run_ProviderBoundary(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		answer func(stuck <-chan struct{}) (*Response, error)
		want   string
	}{
		{"panic", func(<-chan struct{}) (*Response, error) { panic("boom") }, "provider panicked: boom"},
		{"nil, nil", func(<-chan struct{}) (*Response, error) { return nil, nil }, "neither a response nor an error"},
		{"hang", func(stuck <-chan struct{}) (*Response, error) { <-stuck; return status(200) }, "did not return within"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				stuck := make(chan struct{}) // a hung provider ignores its context
				defer close(stuck)
				rc := &receiver{answer: func(int, *Message) (*Response, error) { return c.answer(stuck) }}
				r, srcID := deliverySetup(t, rc, DestinationParams{RetryMaxAttempts: ptr(1)}, ConnectionParams{})
				evID := ingest(t, r, srcID, `{"n":1}`)
				runRouter(t, r)
				time.Sleep(24 * time.Hour)
				synctest.Wait()
				page, err := r.ListAttempts(context.Background(), ListAttemptsParams{EventID: evID})
				if err != nil {
					t.Fatal(err)
				}
				if page.Total != 2 {
					t.Fatalf("%d attempts, want 2 (the first and its retry)", page.Total)
				}
				for _, a := range page.Items {
					if a.Status != "failed" || !strings.Contains(a.Error, c.want) {
						t.Errorf("attempt %+v, want a failed attempt saying %q", a, c.want)
					}
				}
				if !page.Items[0].IsDLQ {
					t.Errorf("the last attempt is not a dead letter")
				}
			})
		})
	}
}

func TestRouter_Close_StopsRun(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		rc := &receiver{answer: func(int, *Message) (*Response, error) { <-release; return status(200) }}
		r, srcID := deliverySetup(t, rc, DestinationParams{}, ConnectionParams{})
		evID := ingest(t, r, srcID, `{"n":1}`)
		done := make(chan error, 1)
		go func() { done <- r.Run(context.Background()) }()
		synctest.Wait() // the attempt is under way
		if err := r.Run(context.Background()); !errors.Is(err, ErrRunning) {
			t.Errorf("second Run: %v, want ErrRunning", err)
		}
		closed := make(chan error, 1)
		go func() { closed <- r.Close() }()
		synctest.Wait()
		select {
		case <-closed:
			t.Fatal("Close returned while an attempt was under way")
		default:
		}
		close(release) // the attempt ends; Run records it and returns
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		if err := <-closed; err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := r.Run(context.Background()); !errors.Is(err, ErrClosed) {
			t.Errorf("Run after Close: %v, want ErrClosed", err)
		}
		if rc := len(rc.received()); rc != 1 {
			t.Errorf("%d calls, want 1", rc)
		}
		_ = evID
	})
}

func TestRouter_Run_DrainTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		stuck := make(chan struct{}) // past the drain timeout, ignoring its context
		defer close(stuck)
		rc := &receiver{answer: func(int, *Message) (*Response, error) {
			<-stuck
			return status(200)
		}}
		r, srcID := deliverySetupConfig(t, rc, &Config{DrainTimeout: time.Second}, DestinationParams{TimeoutMS: ptr(60_000)}, ConnectionParams{})
		ingest(t, r, srcID, `{"n":1}`)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- r.Run(ctx) }()
		synctest.Wait()
		start := time.Now()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		if d := time.Since(start); d > time.Second+providerGrace {
			t.Errorf("Run took %v to stop, want about its drain timeout", d)
		}
	})
}

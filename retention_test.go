package hookstream

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

func TestRouter_Run_PrunesByRetention(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name      string
		retention time.Duration
		answer    int // the receiver's status
		kept      bool
	}{
		{"delivered events go", time.Hour, 200, false},
		{"events being delivered stay", time.Hour, 503, true},
		{"KeepForever keeps them", KeepForever, 200, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				rc := &receiver{answer: func(int, *Message) (*Response, error) { return status(c.answer) }}
				// Retries spread over days: a failing event is still
				// pending when the retention has long passed.
				dst := DestinationParams{RetryMaxAttempts: ptr(3), RetryBackoffType: ptr(BackoffFixed), RetryIntervals: []int{86400}}
				r, srcID := deliverySetupConfig(t, rc, &Config{Retention: c.retention}, dst, ConnectionParams{})
				evID := ingest(t, r, srcID, `{"n":1}`)
				runRouter(t, r)
				time.Sleep(90 * time.Minute) // past the hour, and a prune interval more
				synctest.Wait()
				_, err := r.GetEvent(context.Background(), evID)
				switch {
				case c.kept && err != nil:
					t.Errorf("GetEvent: %v, want the event kept", err)
				case !c.kept && !errors.Is(err, ErrNotFound):
					t.Errorf("GetEvent: %v, want ErrNotFound (pruned)", err)
				}
			})
		})
	}
}

func TestRouter_retentionInterval(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ retention, want time.Duration }{
		{time.Minute, time.Second},
		{time.Hour, 36 * time.Second},
		{DefaultRetention, time.Minute},
	} {
		r := setup(t, &Config{Retention: c.retention})
		if got := r.retentionInterval(); got != c.want {
			t.Errorf("retention %v: interval %v, want %v", c.retention, got, c.want)
		}
	}
}

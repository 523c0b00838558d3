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

func TestRouter_PruneEvents_EndedReplayJobs(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		rc := &receiver{answer: func(int, *Message) (*Response, error) { return status(200) }}
		r, srcID := deliverySetupConfig(t, rc, &Config{Retention: KeepForever}, DestinationParams{}, ConnectionParams{})
		from := time.Now().Add(-time.Minute)
		ingest(t, r, srcID, `{"n":1}`)
		time.Sleep(time.Millisecond) // a job replays what arrived before it started
		dsts, err := r.ListDestinations(ctx, ListParams{})
		if err != nil {
			t.Fatal(err)
		}
		job, err := r.StartReplay(ctx, ReplayParams{DestinationID: dsts.Items[0].ID, From: from, To: from.Add(2 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		runRouter(t, r)
		time.Sleep(time.Minute) // the job runs to its end
		synctest.Wait()
		if got, err := r.GetReplay(ctx, job.ID); err != nil || got.Status != ReplayCompleted {
			t.Fatalf("GetReplay = %+v, %v; want a completed job", got, err)
		}
		if _, err := r.PruneEvents(ctx, time.Hour); err != nil {
			t.Fatal(err)
		}
		if _, err := r.GetReplay(ctx, job.ID); err != nil {
			t.Fatalf("GetReplay after a prune of older than an hour: %v, want the job kept", err)
		}
		time.Sleep(2 * time.Hour)
		if _, err := r.PruneEvents(ctx, time.Hour); err != nil {
			t.Fatal(err)
		}
		if _, err := r.GetReplay(ctx, job.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("GetReplay after it ended 2 h ago and a prune of older than an hour: %v, want ErrNotFound", err)
		}
	})
}

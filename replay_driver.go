package hookstream

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

// Replay jobs are driven by Run. Each Run claims running jobs from the
// store (store.ReplayStore.ClaimReplays: a lease with an expiry, so one
// process at a time drives a job and a dead process's jobs come back) and
// drives each on a goroutine of its own: it reads the job's events a page
// at a time from the cursor stored with the job, sends them paced to the
// job's rate, and stores the cursor and counters after each page, which
// also renews the lease. Each event gets a delivery whose ID derives from
// the job's and the event's (replayDeliveryID), so a page walked again
// after a restart finds what was sent before it (store.ErrConflict) and
// counts it instead of sending it again.

const (
	// replayPageSize is how many events a driver reads, and sends, between
	// two saves of its progress.
	replayPageSize = 10
	// maxReplaysDriven is how many jobs one Run drives at once; the others
	// wait for a free slot (or another process).
	maxReplaysDriven = 4
	// replayClaimInterval is how often Run looks for jobs to claim: those
	// another process started, or whose driver died.
	replayClaimInterval = 10 * time.Second
)

// localReplayOwner is the name on the jobs of a store only one process can
// use (store.LocalQueue) of the Run that keeps its leases in memory: a
// claim under that name left by a crash is the next local Run's at once.
const localReplayOwner = "local"

// errReplayCancelled ends a driver whose job was cancelled in this process.
var errReplayCancelled = errors.New("hookstream: replay cancelled")

// replayHub connects the Go API's replay calls with the Run that drives
// jobs.
type replayHub struct {
	// owner is this Router's name on the jobs it claims.
	owner string
	// wakeC tells Run a job was started.
	wakeC chan struct{}
	mu    sync.Mutex
	// driving holds the stop of every job this Router's Run drives.
	driving map[string]context.CancelCauseFunc
}

func newReplayHub() *replayHub {
	return &replayHub{owner: "rtr_" + randomHex(16), wakeC: make(chan struct{}, 1), driving: map[string]context.CancelCauseFunc{}}
}

// wake tells a running Run to claim jobs now.
func (h *replayHub) wake() { signal(h.wakeC) }

// interrupt stops the driver of a cancelled job, if this Router drives it.
func (h *replayHub) interrupt(id string) {
	h.mu.Lock()
	stop := h.driving[id]
	h.mu.Unlock()
	if stop != nil {
		stop(errReplayCancelled)
	}
}

// replayLease is how long a driver's claim on a job lasts: enough for a
// page of the job's events at its rate and the destination's timeout.
func (r *Router) replayLease(dst *store.Destination, rate int) time.Duration {
	return r.leaseTTL(dst) + replayPageSize*time.Second/time.Duration(max(rate, 1))
}

// driveReplays claims and drives replay jobs until ctx is done, then lets
// the attempts under way end (within Config.DrainTimeout), stores the
// drivers' progress and gives their claims up, so the next Run, here or
// elsewhere, resumes the jobs at once. local says the Run keeps a local
// queue's leases in memory: it claims under localReplayOwner, so the jobs
// a crashed local Run held are its own at once.
func (r *Router) driveReplays(ctx context.Context, local bool) {
	h := r.replays
	owner := h.owner
	if local {
		owner = localReplayOwner
	}
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	var drivers sync.WaitGroup
	ended := make(chan string, maxReplaysDriven)
	ticker := time.NewTicker(replayClaimInterval)
	defer ticker.Stop()
	for claim := true; ; {
		if claim {
			r.claimReplays(ctx, work, owner, local, &drivers, ended)
			claim = false
		}
		select {
		case <-ctx.Done():
			drain := time.AfterFunc(r.cfg.DrainTimeout, cancelWork)
			defer drain.Stop()
			drivers.Wait()
			h.mu.Lock()
			clear(h.driving) // for the next Run
			h.mu.Unlock()
			return
		case id := <-ended:
			h.mu.Lock()
			delete(h.driving, id)
			h.mu.Unlock()
			claim = true
		case <-h.wakeC:
			claim = true
		case <-ticker.C:
			claim = true
		}
	}
}

// claimReplays claims jobs for the free slots and starts their drivers.
func (r *Router) claimReplays(ctx, work context.Context, owner string, local bool, drivers *sync.WaitGroup, ended chan<- string) {
	h := r.replays
	h.mu.Lock()
	driving := len(h.driving)
	h.mu.Unlock()
	if driving >= maxReplaysDriven {
		return
	}
	// The jobs this Run drives come back too (they are owner's): room for
	// them, and for the free slots.
	jobs, err := r.store.ClaimReplays(ctx, owner, r.now(), r.replayLease(nil, 1), maxReplaysDriven)
	if err != nil {
		if ctx.Err() == nil {
			r.logStoreError("hookstream: claim replay jobs", "error", err)
		}
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, job := range jobs {
		if h.driving[job.ID] != nil || len(h.driving) >= maxReplaysDriven {
			continue // driven already, or no slot: its claim expires unused
		}
		jobCtx, stop := context.WithCancelCause(ctx)
		h.driving[job.ID] = stop
		drivers.Go(func() {
			defer func() { ended <- job.ID }()
			defer stop(nil)
			d := &replayDriver{r: r, job: job, owner: owner, local: local, interval: time.Second / time.Duration(max(job.RateLimit, 1))}
			d.run(jobCtx, work)
		})
	}
}

// replayDriver drives one job.
type replayDriver struct {
	r     *Router
	job   *store.ReplayJob // as last saved
	owner string
	// local: the Run keeps a local queue's leases in memory (see takeOver).
	local bool
	// next is when the next event may be sent: events go at most one per
	// interval.
	next     time.Time
	interval time.Duration
}

// replayResult is what became of one event of a page.
type replayResult int

const (
	replayUnknown replayResult = iota // not sent, or its outcome not known yet
	replaySucceeded
	replayFailed
)

// run replays the job until it ends, its claim is lost, or ctx is done
// (Run stops, or the job was cancelled here). Attempts, and the stores of
// their outcomes, run under work, which outlives ctx.
func (d *replayDriver) run(ctx, work context.Context) {
	r, job := d.r, d.job
	d.next = time.Now()
	for job.Processed < job.Total {
		dst, failure := d.destination(ctx, work)
		if dst == nil {
			if failure != "" {
				d.finish(work, store.ReplayFailed, failure)
			} else {
				d.stop(ctx, work, 0, 0)
			}
			return
		}
		if !d.renew(work, dst) {
			return
		}
		q := replayQuery(job, job.Tenant())
		q.Cursor, q.Limit = job.Cursor, min(replayPageSize, job.Total-job.Processed)
		page, err := r.store.ReplayEvents(ctx, q)
		switch {
		case errors.Is(err, store.ErrInvalidCursor):
			d.finish(work, store.ReplayFailed, "the store refused the job's cursor")
			return
		case err != nil:
			if ctx.Err() == nil {
				r.logStoreError("hookstream: read replay events", "replay_id", job.ID, "error", err)
			}
			if !sleep(ctx, r.cfg.PollInterval) {
				d.stop(ctx, work, 0, 0)
				return
			}
			continue
		case len(page.Events) == 0:
			d.finish(work, store.ReplayCompleted, "") // events deleted meanwhile: fewer than counted
			return
		}
		succeeded, failed, complete := d.sendPage(ctx, work, dst, page.Events)
		if !complete {
			switch failure := d.gone(ctx); {
			case ctx.Err() != nil:
				d.stop(ctx, work, succeeded, failed)
			case failure != "":
				d.count(succeeded, failed)
				d.finish(work, store.ReplayFailed, failure)
			default:
				continue // a store error: the page again, its sent events counted, not resent
			}
			return
		}
		d.count(succeeded, failed)
		job.Cursor = page.NextCursor
		if page.NextCursor == "" {
			break
		}
		if !d.save(work, dst) {
			return
		}
	}
	d.finish(work, store.ReplayCompleted, "")
}

// destination returns the job's destination once it is active (a paused
// or disabled destination holds the replay, as it holds deliveries), or
// nil with why the job fails (its destination or connection was
// deleted), or nil alone when ctx ended first.
func (d *replayDriver) destination(ctx, work context.Context) (*store.Destination, string) {
	r, job := d.r, d.job
	for {
		dst, err := r.routes().destination(ctx, job.DestinationID)
		if err == nil {
			if failure := d.gone(ctx); failure != "" {
				return nil, failure
			}
			if Status(dst.Status) == StatusActive {
				return dst, ""
			}
		} else if ctx.Err() == nil {
			r.logStoreError("hookstream: load replay destination", "replay_id", job.ID, "error", err)
		}
		if !d.renew(work, dst) || !sleep(ctx, r.cfg.PollInterval) {
			return nil, ""
		}
	}
}

// gone says why the job cannot go on, if its destination or connection
// was deleted (as the routing cache sees it: this process's deletes at
// once, others' within Config.ConfigTTL).
func (d *replayDriver) gone(ctx context.Context) string {
	job := d.job
	if dst, err := d.r.routes().destination(ctx, job.DestinationID); err == nil && (dst == nil || dst.OrgID != job.OrgID || dst.EnvID != job.EnvID) {
		return "destination no longer exists"
	}
	if job.ConnectionID != "" {
		if route, err := d.r.routes().route(ctx, &store.Delivery{ConnectionID: job.ConnectionID}); err == nil && route.connectionID == "" {
			return "connection no longer exists"
		}
	}
	return ""
}

// sendPage sends a page of events, paced, with at most the destination's
// max_concurrency in flight, and counts their outcomes; complete is false
// when some event's outcome is not known (ctx ended, or the store failed).
func (d *replayDriver) sendPage(ctx, work context.Context, dst *store.Destination, events []*store.Event) (succeeded, failed int, complete bool) {
	results := make([]replayResult, len(events))
	slots := make(chan struct{}, max(dst.MaxConcurrency, 1))
	var wg sync.WaitGroup
	started := 0
	for i, ev := range events {
		if !d.pace(ctx) || d.gone(ctx) != "" {
			break
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		started++
		wg.Go(func() {
			defer func() { <-slots }()
			results[i] = d.replayEvent(ctx, work, dst, ev)
		})
	}
	wg.Wait()
	complete = started == len(events)
	for _, res := range results[:started] {
		switch res {
		case replaySucceeded:
			succeeded++
		case replayFailed:
			failed++
		default:
			complete = false
		}
	}
	return succeeded, failed, complete
}

// pace waits until the next event may be sent, and reserves its turn;
// false when ctx ended first.
func (d *replayDriver) pace(ctx context.Context) bool {
	if !sleep(ctx, time.Until(d.next)) {
		return false
	}
	if now := time.Now(); now.Sub(d.next) > d.interval {
		// Later than one interval (slow attempts held the slots, or the
		// store): start the schedule again rather than burst to catch up.
		// A lag shorter than that (a page's save) is made up, so the job
		// keeps its rate: in any span of time, it sends at most two events
		// more than the rate allows.
		d.next = now
	}
	d.next = d.next.Add(d.interval)
	return true
}

// replayEvent sends one event as a new delivery of it, one attempt, not
// retried; or, when a run before a restart made that delivery already,
// waits for its outcome instead.
func (d *replayDriver) replayEvent(ctx, work context.Context, dst *store.Destination, ev *store.Event) replayResult {
	r, rj := d.r, d.job
	now := r.now()
	dl := &store.Delivery{
		ID: replayDeliveryID(rj, ev.ID), OrgID: rj.OrgID, EnvID: rj.EnvID, EventID: ev.ID,
		ConnectionID: rj.ConnectionID, DestinationID: rj.DestinationID, Trigger: store.TriggerReplay, NoRetry: true,
		CreatedAt: now, UpdatedAt: now,
	}
	leased, err := r.store.AddDelivery(work, dl, now, r.oneOffLease(dst))
	if errors.Is(err, store.ErrConflict) {
		if leased, err = d.takeOver(work, dl.ID, dst); leased == nil {
			return d.await(ctx, work, dl.ID)
		}
		defer r.handoff.release(dl.ID)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return replayFailed // the event was deleted (pruned) after the page was read
	case err != nil:
		r.logStoreError("hookstream: add replay delivery", "replay_id", rj.ID, "event_id", ev.ID, "error", err)
		return replayUnknown
	}
	stopRenewing := r.keepLease(leased)
	f := r.attempt(work, job{d: leased, ev: ev, dst: dst})
	err = r.completeOne(work, f)
	stopRenewing()
	if err != nil {
		// Its lease hands it to the queue, which attempts it once.
		r.logStoreError("hookstream: record replay attempt", "replay_id", rj.ID, "delivery_id", dl.ID, "error", err)
		return d.await(ctx, work, dl.ID)
	}
	switch f.outcome.Result {
	case store.ResultSuccess:
		return replaySucceeded
	case store.ResultDead:
		return replayFailed
	}
	return d.await(ctx, work, dl.ID) // given back to the queue (the store failed)
}

// takeOver leases to this driver the delivery of a resumed event that a
// crash left unfinished, when the Run keeps a local queue's leases in
// memory: no other process can hold it then, and holding it in the
// handoff keeps this Run's scheduler off it, so it is attempted again at
// once (at least once) rather than when the dead process's lease
// expires. Otherwise (a shared store, or a delivery finished or held by
// the scheduler) it returns nil, and the driver awaits the outcome.
func (d *replayDriver) takeOver(work context.Context, id string, dst *store.Destination) (*store.Delivery, error) {
	r := d.r
	if !d.local {
		return nil, nil
	}
	dl, err := r.store.GetDelivery(work, id)
	if err != nil || dl.State != store.DeliveryPending || !r.handoff.hold(id) {
		return nil, nil
	}
	leased, err := r.store.Requeue(work, d.job.Tenant(), id, store.TriggerReplay, r.now(), r.oneOffLease(dst))
	if err != nil {
		r.handoff.release(id)
		return nil, nil
	}
	return leased, nil
}

// await waits for a replay delivery made earlier to finish, polling the
// store: it is the queue's now (its lease expires, then the scheduler of
// any process attempts it, once).
func (d *replayDriver) await(ctx, work context.Context, id string) replayResult {
	for {
		dl, err := d.r.store.GetDelivery(work, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return replayUnknown
		case err == nil && dl.State == store.DeliverySucceeded:
			return replaySucceeded
		case err == nil && dl.State == store.DeliveryDead:
			return replayFailed
		}
		if !sleep(ctx, d.r.cfg.PollInterval) {
			return replayUnknown
		}
	}
}

// renew saves the job when less than half of its lease is left (a
// page's save renews it too); false when the driver must stop.
func (d *replayDriver) renew(work context.Context, dst *store.Destination) bool {
	if d.job.LeaseUntil.Sub(d.r.now()) >= d.r.replayLease(dst, d.job.RateLimit)/2 {
		return true
	}
	return d.save(work, dst)
}

// save stores the job's progress and renews its claim; false when the
// driver must stop: the job was cancelled, or another process claimed it.
func (d *replayDriver) save(work context.Context, dst *store.Destination) bool {
	now := d.r.now()
	d.job.UpdatedAt, d.job.LeaseUntil = now, now.Add(d.r.replayLease(dst, d.job.RateLimit))
	return d.store(work)
}

// stop ends a driver whose Run stops, or whose job was cancelled here: it
// stores the progress of the pages it completed and gives the claim up,
// so the next Run resumes the job at once (the events of an unfinished
// page are counted then, not sent again). A cancelled job counts the
// events its last page sent. After the drain timed out (work done), the
// store is not written: the claim expires by itself.
func (d *replayDriver) stop(ctx, work context.Context, succeeded, failed int) {
	if errors.Is(context.Cause(ctx), errReplayCancelled) {
		d.count(succeeded, failed)
	}
	d.job.UpdatedAt, d.job.LeaseUntil = d.r.now(), time.Time{}
	d.store(work)
}

// count adds a page's outcomes to the job's counters.
func (d *replayDriver) count(succeeded, failed int) {
	d.job.Processed += succeeded + failed
	d.job.Succeeded += succeeded
	d.job.Failed += failed
}

// finish ends the job with a final status.
func (d *replayDriver) finish(work context.Context, status, failure string) {
	now := d.r.now()
	d.job.Status, d.job.Error, d.job.CompletedAt, d.job.UpdatedAt = status, failure, now, now
	d.job.LeaseOwner, d.job.LeaseUntil = "", time.Time{}
	d.store(work)
}

// store saves the job; false when the driver must stop.
func (d *replayDriver) store(work context.Context) bool {
	saved, err := d.r.store.SaveReplay(work, d.job, d.owner)
	switch {
	case errors.Is(err, store.ErrLeaseLost):
		return false
	case err != nil:
		d.r.logStoreError("hookstream: save replay progress", "replay_id", d.job.ID, "error", err)
		return true // the next save may work; the claim expires if none does
	}
	*d.job = *saved
	return saved.Status == store.ReplayRunning
}

// sleep waits for d, or for ctx; false when ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// replayDeliveryID is the ID of the delivery a replay job makes of an
// event: always the same for a job and an event, so that a job resumed
// after a restart finds what it sent before (store.ErrConflict) instead
// of sending it again. Its time part is the job's start, as a delivery
// ID's is its creation (newOrderedID), so a job's deliveries are stored
// together; the rest is a SHA-256 of both IDs.
func replayDeliveryID(job *store.ReplayJob, eventID string) string {
	sum := sha256.Sum256([]byte(job.ID + "/" + eventID))
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(max(job.StartedAt.UnixMilli(), 0))<<16)
	copy(b[6:], sum[:10])
	return prefixDelivery + hex.EncodeToString(b[:])
}

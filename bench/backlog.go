package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookstream-go/hookstream"
)

const mib = 1 << 20

// heapTargetMiB is the bound on the heap under a backlog.
const heapTargetMiB = 64

// runBacklog piles up -backlog deliveries to a paused destination (Run
// started: the scheduler sees them due and holds them), sampling the heap
// and the anonymous RSS every 100 ms, then measures the file bytes per
// event and, once the destination is resumed, the drain rate until every
// delivery arrived or -drain-timeout passed.
func runBacklog(ctx context.Context, b *bench) ([]Row, error) {
	n := int64(b.opts.backlog)
	runtime.GC()
	debug.FreeOSMemory()
	mem := startMemSampler()
	defer mem.stop()
	heap0, rss0 := mem.now()
	progress("backlog: before: heap in use %.1f MiB, RssAnon %.1f MiB", heap0, rss0)

	rc, err := startReceiver(nil)
	if err != nil {
		return nil, err
	}
	defer rc.close()
	dst := b.httpDestination(rc.url)
	dst.Status = ptr(hookstream.StatusPaused)
	rt, err := b.newRoute(ctx, "bolt", "backlog", b.config(), dst, hookstream.ConnectionParams{})
	if err != nil {
		return nil, err
	}
	defer rt.close()
	stop := runRouter(rt.r)
	defer stop()

	// Fill, reporting progress every 5 s.
	var filled atomic.Int64
	fillDone := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		start, last, lastN := time.Now(), time.Now(), int64(0)
		for {
			select {
			case <-fillDone:
				return
			case now := <-t.C:
				f := filled.Load()
				h, r := mem.now()
				progress("backlog: %d/%d ingested (%.0f/s now, %.0f/s overall), heap %.1f MiB, RssAnon %.1f MiB, file %.0f MiB",
					f, n, perSecond(f-lastN, now.Sub(last)), perSecond(f, now.Sub(start)), h, r, float64(fileSize(rt.path))/mib)
				last, lastN = now, f
			}
		}
	})
	fillStart := time.Now()
	// Filled by more senders than the other scenarios use: a million
	// events in a default run's time needs bigger group commits.
	got, fillTime, err := closedLoop(backlogFillers*b.opts.concurrency, time.Now().Add(24*time.Hour), n, func(seq int64) error {
		if err := rt.ingest(ctx, seq); err != nil {
			return err
		}
		filled.Add(1)
		return nil
	})
	close(fillDone)
	wg.Wait()
	if err != nil {
		return nil, fmt.Errorf("fill: %w", err)
	}
	fillHeap, fillRSS := mem.peaks()
	size := fileSize(rt.path)
	perEvent := float64(size) / float64(got)
	progress("backlog: %d events ingested in %v (%.0f/s) since %s; file %.0f MiB = %.0f bytes/event; peak heap %.1f MiB, peak RssAnon %.1f MiB; %d delivered while paused",
		got, fillTime.Round(time.Millisecond), perSecond(got, fillTime), fillStart.Format("15:04:05"), float64(size)/mib, perEvent, fillHeap, fillRSS, rc.count.Load())
	if c := rc.count.Load(); c != 0 {
		return nil, fmt.Errorf("%d deliveries arrived while the destination was paused", c)
	}

	// Revival: resume the destination (the scheduler sees it at its next
	// poll) and count arrivals.
	drainStart := time.Now()
	if _, err := rt.r.UpdateDestination(ctx, rt.dstID, hookstream.DestinationParams{Status: ptr(hookstream.StatusActive)}); err != nil {
		return nil, fmt.Errorf("resume destination: %w", err)
	}
	complete := false
	deadline := drainStart.Add(b.opts.drainTimeout)
	next := drainStart.Add(5 * time.Second)
	for {
		if rc.uniq.Load() >= got {
			complete = true
			break
		}
		now := time.Now()
		if now.After(deadline) {
			break
		}
		if now.After(next) {
			h, r := mem.now()
			c := rc.uniq.Load()
			progress("backlog: drained %d/%d (%.0f/s), heap %.1f MiB, RssAnon %.1f MiB", c, got, perSecond(c, now.Sub(drainStart)), h, r)
			next = now.Add(5 * time.Second)
		}
		time.Sleep(5 * time.Millisecond)
	}
	delivered := rc.uniq.Load()
	end := time.Now()
	if complete {
		end = rc.lastAt()
	}
	drain := perSecond(delivered, end.Sub(drainStart))
	if complete {
		progress("backlog: all %d delivered in %v: %.0f deliveries/s (%d duplicate deliveries)", delivered, end.Sub(drainStart).Round(time.Millisecond), drain, rc.dups())
	} else {
		progress("backlog: NOTE drain stopped at -drain-timeout %v with %d of %d delivered (%.0f deliveries/s over the window); a full drain would take about %v more",
			b.opts.drainTimeout, delivered, got, drain, time.Duration(float64(got-delivered)/max(drain, 1)*float64(time.Second)).Round(time.Second))
	}
	heapPeak, rssPeak := mem.peaks()
	progress("backlog: peak heap %.1f MiB, peak RssAnon %.1f MiB (fill and drain)", heapPeak, rssPeak)

	e2e := 0.0
	if b.e2e != nil {
		e2e = *b.e2e
	} else {
		progress("backlog: measuring e2e for the drain's baseline")
		res, err := b.e2eRun(ctx, "bolt", "e2e", b.httpDestination, hookstream.ConnectionParams{})
		if err != nil {
			return nil, fmt.Errorf("e2e baseline: %w", err)
		}
		e2e = res.completion
		b.e2e = &e2e
	}
	return []Row{
		row("backlog_heap_peak", heapPeak, "MiB", "target_64MiB", heapTargetMiB, true),
		row("backlog_rss_anon_peak", rssPeak, "MiB", "target_64MiB", heapTargetMiB, true),
		row("backlog_file_per_event", perEvent, "bytes", "payload_1KiB", payloadSize, true),
		row("backlog_drain", drain, "deliveries/s", "e2e", e2e, false),
	}, nil
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// memSampler samples HeapInuse and RssAnon every 100 ms and keeps their
// peaks.
type memSampler struct {
	mu                sync.Mutex
	heapPeak, rssPeak float64
	heapLast, rssLast float64
	done              chan struct{}
	wg                sync.WaitGroup
}

func startMemSampler() *memSampler {
	m := &memSampler{done: make(chan struct{})}
	m.sample()
	m.wg.Go(func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-m.done:
				return
			case <-t.C:
				m.sample()
			}
		}
	})
	return m
}

func (m *memSampler) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap := float64(ms.HeapInuse) / mib
	rss := float64(rssAnon()) / mib
	m.mu.Lock()
	m.heapLast, m.rssLast = heap, rss
	m.heapPeak, m.rssPeak = max(m.heapPeak, heap), max(m.rssPeak, rss)
	m.mu.Unlock()
}

// now is the latest sample in MiB.
func (m *memSampler) now() (heap, rss float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.heapLast, m.rssLast
}

// peaks are the highest samples so far in MiB.
func (m *memSampler) peaks() (heap, rss float64) {
	m.sample()
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.heapPeak, m.rssPeak
}

func (m *memSampler) stop() {
	close(m.done)
	m.wg.Wait()
}

// rssAnon is RssAnon of /proc/self/status in bytes (0 where there is no
// such file).
func rssAnon() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "RssAnon:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// backlogFillers is how many senders per -concurrency fill the backlog.
const backlogFillers = 8

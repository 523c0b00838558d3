package store

import (
	"context"
	"math/bits"
	"time"
)

// RollupStore keeps hourly rollups of events and delivery attempts, so
// that metrics are read from a few small records instead of by scanning
// events. A store keeps them up to date itself, in the same atomic write as
// the records they count:
//
//   - InsertEvent counts each stored event (a duplicate too) in the rollup
//     of its tenant, its SourceID (empty for a published event) and the
//     UTC hour of its ReceivedAt;
//   - Complete counts each stored attempt in the rollup of its tenant, its
//     DestinationID and the UTC hour of its CreatedAt (Outcome.Now when
//     zero): in Attempts, in Successes or Failures by its Status (success
//     or failed), in DeadLetters when it is stored with IsDLQ, and its
//     DurationMS in the Latency histogram. Outcomes without an attempt
//     (ResultRelease) and refused outcomes count nothing.
//
// Rollups are kept until PruneRollups deletes them; pruning events leaves
// them alone.
type RollupStore interface {
	// EventRollups returns the event counts of q.Tenant per source and
	// bucket (an hour or, with q.Daily, a UTC day), for the buckets that
	// start in [q.From truncated to its bucket, q.To), ordered by source
	// ID and then bucket. Buckets with no events are left out. With q.ID
	// set, only that source's.
	EventRollups(ctx context.Context, q RollupQuery) ([]EventRollup, error)
	// DeliveryRollups returns the attempt counts and latency histograms
	// of q.Tenant per destination and bucket, as EventRollups does for
	// events (q.ID selects one destination).
	DeliveryRollups(ctx context.Context, q RollupQuery) ([]DeliveryRollup, error)
	// PruneRollups deletes the rollups of hours that start before cutoff
	// and returns how many records it deleted. Like PruneEvents, it works
	// in small atomic steps.
	PruneRollups(ctx context.Context, cutoff time.Time) (int, error)
}

// RollupQuery selects rollups.
type RollupQuery struct {
	Tenant Tenant
	// ID keeps the rollups of one source or destination; empty keeps all.
	ID string
	// From and To bound the buckets returned: those that start at or
	// after From truncated to its bucket, and before To.
	From, To time.Time
	// Daily sums the hours into UTC days; otherwise buckets are hours.
	Daily bool
	// Limit is the most rollups returned (the first ones in order);
	// values below 1 mean no limit.
	Limit int
}

// Bucket returns the start of the bucket that holds t: its UTC hour, or
// with daily its UTC day.
func (q RollupQuery) Bucket(t time.Time) time.Time {
	if q.Daily {
		return t.UTC().Truncate(24 * time.Hour)
	}
	return t.UTC().Truncate(time.Hour)
}

// EventRollup is the number of events a source stored in one bucket.
type EventRollup struct {
	Bucket   time.Time
	SourceID string
	Events   int64
}

// DeliveryRollup counts the attempts made to one destination in one
// bucket.
type DeliveryRollup struct {
	Bucket        time.Time
	DestinationID string
	// Attempts counts every attempt; Successes and Failures those whose
	// Status is success and failed; DeadLetters those that dead-lettered
	// their delivery (IsDLQ), each of which is a failure too.
	Attempts, Successes, Failures, DeadLetters int64
	// Latency is the histogram of the attempts' DurationMS.
	Latency Histogram
}

// Histogram counts durations in milliseconds in fixed bins whose width
// grows with the duration, as HdrHistogram does with 3 significant bits:
// every millisecond up to 15 ms has a bin of its own, and each doubling
// above (16–31 ms, 32–63 ms, …) is split into 8 bins of equal width, up
// to 2^24 ms (4.7 hours); longer durations share the last bin. A bin's
// width is at most an eighth of its smallest value, so any value read
// from a bin (Value) is within HistogramError of every duration it holds.
// Element i counts the durations of bin i; trailing empty bins may be
// left out.
type Histogram []int64

// HistogramBins is the number of bins of a Histogram.
const HistogramBins = 8*(histogramTopBit-2) + 8

// HistogramError is the largest relative error of a duration read from a
// Histogram (under 2^24 ms): 1/16, 6.25%.
const HistogramError = 1.0 / 16

// histogramTopBit is the highest bit of the durations a Histogram tells
// apart: 2^(histogramTopBit+1) ms and longer share the last bin.
const histogramTopBit = 23

// HistogramBin returns the bin of a duration of ms milliseconds (negative
// durations count as 0).
func HistogramBin(ms int64) int {
	if ms < 16 {
		return int(max(ms, 0))
	}
	top := bits.Len64(uint64(ms)) - 1 // 4 or more
	if top > histogramTopBit {
		return HistogramBins - 1
	}
	shift := top - 3
	return 8*shift + int(ms>>shift) // ms>>shift is in [8, 16)
}

// HistogramValue returns the duration a bin stands for: the middle of the
// whole milliseconds it holds, rounded down.
func HistogramValue(bin int) int64 {
	shift := max(bin/8-1, 0)
	low := int64(bin-8*shift) << shift
	return low + (int64(1)<<shift-1)/2
}

// Add counts one duration of ms milliseconds.
func (h *Histogram) Add(ms int64) { h.addN(HistogramBin(ms), 1) }

// Merge adds the counts of o to h.
func (h *Histogram) Merge(o Histogram) {
	for bin, n := range o {
		if n != 0 {
			h.addN(bin, n)
		}
	}
}

func (h *Histogram) addN(bin int, n int64) {
	for len(*h) <= bin {
		*h = append(*h, 0)
	}
	(*h)[bin] += n
}

// Count returns the number of durations counted.
func (h Histogram) Count() int64 {
	var n int64
	for _, c := range h {
		n += c
	}
	return n
}

// Percentile returns the duration at or below which p percent (1 to 100)
// of the durations fall, by nearest rank: the value of the bin that holds
// the ⌈p·n/100⌉-th smallest of the n durations, so within HistogramError
// of that duration. It returns 0 for an empty histogram.
func (h Histogram) Percentile(p int) int64 {
	n := h.Count()
	if n == 0 {
		return 0
	}
	rank := min(max((int64(p)*n+99)/100, 1), n)
	var seen int64
	for bin, c := range h {
		if seen += c; seen >= rank {
			return HistogramValue(bin)
		}
	}
	return HistogramValue(len(h) - 1)
}

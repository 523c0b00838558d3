package hookstream

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

// Metrics are read from the hourly rollups the store keeps as it writes
// events and attempts (store.RollupStore), never by scanning events: a
// request reads at most one rollup per source or destination and hour of
// its range. Times are UTC: "today" is the UTC day so far, "this week" the
// ISO week (from Monday 00:00 UTC). A delivery is a delivery attempt, as
// in ListAttempts: retries count once each.

// Bounds of metrics requests.
const (
	// MaxHourlyRange is the longest range of an hourly series (31 days:
	// 744 buckets).
	MaxHourlyRange = 31 * 24 * time.Hour
	// MaxDailyRange is the longest range of a daily series (366 days).
	MaxDailyRange = 366 * 24 * time.Hour
	// MaxMetricsPoints is the most points a series holds: a range whose
	// buckets, across its sources or destinations, hold more is refused
	// (ask for one source or destination, a shorter range or days).
	MaxMetricsPoints = 20_000
	// DefaultMetricsRange is the range of a series that names neither end.
	DefaultMetricsRange = 24 * time.Hour
	// MetricsRetention is how long rollups are kept at least: PruneEvents
	// (and so Run's retention) deletes rollups of hours older than this or
	// than its own cutoff, whichever is older, so a rollup outlives the
	// events it counts.
	MetricsRetention = 400 * 24 * time.Hour
)

// Granularity is the bucket size of a metrics series.
type Granularity string

// Granularities.
const (
	GranularityHour Granularity = "hour"
	GranularityDay  Granularity = "day"
)

// MetricsOverview is an environment's activity today.
type MetricsOverview struct {
	// EventsToday and EventsThisWeek count the events stored today and
	// this ISO week (since Monday 00:00 UTC), duplicates and published
	// events included.
	EventsToday, EventsThisWeek int64
	// ActiveSources is how many sources stored an event today.
	ActiveSources int
	// DeliveriesToday counts the delivery attempts made today,
	// SuccessToday and FailedToday those that succeeded and failed.
	DeliveriesToday, SuccessToday, FailedToday int64
	// SuccessRateToday is SuccessToday over DeliveriesToday as a
	// percentage, rounded to two decimals; 0 when DeliveriesToday is 0.
	SuccessRateToday float64
	// DLQCount counts today's attempts that dead-lettered their delivery
	// (is_dlq); each is one of FailedToday.
	DLQCount int64
	// ActiveDestinations is how many destinations were attempted today.
	ActiveDestinations int
}

// VolumeParams selects an event volume series.
type VolumeParams struct {
	// After and Before bound the series: it holds the buckets that
	// overlap [After, Before). Before defaults to now (or, when only
	// After is set, to the earlier of now and After plus the
	// granularity's longest range), After to DefaultMetricsRange before
	// Before. The range is at most MaxHourlyRange, or MaxDailyRange by
	// day.
	After, Before time.Time
	// SourceID keeps one source's events; empty keeps all.
	SourceID string
	// Granularity is the bucket size. Defaults to GranularityHour.
	Granularity Granularity
}

// Volume is the number of events per source and bucket.
type Volume struct {
	// Series holds a point per bucket and source that stored events, by
	// bucket and then source ID; buckets with none are left out.
	Series      []VolumePoint
	Granularity Granularity
}

// VolumePoint is the events of one source in one bucket.
type VolumePoint struct {
	// Bucket is the start of the hour or day (UTC).
	Bucket time.Time
	// SourceID is empty for events published to topics; SourceName is
	// empty for those and for deleted sources.
	SourceID, SourceName string
	EventCount           int64
}

// DeliveryMetricsParams selects a series of delivery counts.
type DeliveryMetricsParams struct {
	// After and Before bound the series as in VolumeParams.
	After, Before time.Time
	// DestinationID keeps one destination's attempts; empty keeps all.
	DestinationID string
	// Granularity is the bucket size. Defaults to GranularityHour.
	Granularity Granularity
}

// DeliveryMetrics is the number of delivery attempts per destination and
// bucket.
type DeliveryMetrics struct {
	// Series holds a point per bucket and destination that was attempted,
	// by bucket and then destination ID.
	Series      []DeliveryPoint
	Granularity Granularity
}

// DeliveryPoint counts the attempts to one destination in one bucket.
type DeliveryPoint struct {
	Bucket time.Time
	// DestinationName is empty for a deleted destination.
	DestinationID, DestinationName string
	// DeliveryCount counts every attempt (retries and manual retries
	// each once); SuccessCount and FailedCount those that succeeded and
	// failed; DLQCount those that dead-lettered their delivery, each of
	// which is a failure too.
	DeliveryCount, SuccessCount, FailedCount, DLQCount int64
}

// LatencyParams selects a latency series, always hourly.
type LatencyParams struct {
	// After and Before bound the series as in VolumeParams (at most
	// MaxHourlyRange).
	After, Before time.Time
	// DestinationID keeps one destination; empty keeps all.
	DestinationID string
}

// LatencyMetrics is the attempt latency per destination and hour.
type LatencyMetrics struct {
	// Series holds a point per hour and destination that was attempted,
	// by hour and then destination ID.
	Series []LatencyPoint
}

// LatencyPoint is the latency of the attempts to one destination in one
// hour: the percentiles of their durations (duration_ms, every attempt
// included), by nearest rank, read from a histogram whose bins are exact
// up to 15 ms and at most 6.25% (store.HistogramError) off above.
type LatencyPoint struct {
	Bucket                         time.Time
	DestinationID, DestinationName string
	P50MS, P95MS, P99MS            int64
	// Count is the number of attempts.
	Count int64
}

// GetMetricsOverview returns the environment's activity today (UTC).
func (r *Router) GetMetricsOverview(ctx context.Context) (*MetricsOverview, error) {
	t := r.tenant(ctx)
	now := r.now()
	today := now.Truncate(24 * time.Hour)
	tomorrow := today.Add(24 * time.Hour)
	monday := today.AddDate(0, 0, -(int(today.Weekday())+6)%7)
	events, err := r.store.EventRollups(ctx, store.RollupQuery{Tenant: t, From: monday, To: tomorrow, Daily: true})
	if err != nil {
		return nil, fmt.Errorf("metrics overview: %w", err)
	}
	deliveries, err := r.store.DeliveryRollups(ctx, store.RollupQuery{Tenant: t, From: today, To: tomorrow, Daily: true})
	if err != nil {
		return nil, fmt.Errorf("metrics overview: %w", err)
	}
	var o MetricsOverview
	for _, e := range events {
		o.EventsThisWeek += e.Events
		if e.Bucket.Equal(today) {
			o.EventsToday += e.Events
			if e.SourceID != "" {
				o.ActiveSources++
			}
		}
	}
	for _, d := range deliveries {
		o.DeliveriesToday += d.Attempts
		o.SuccessToday += d.Successes
		o.FailedToday += d.Failures
		o.DLQCount += d.DeadLetters
		o.ActiveDestinations++
	}
	if o.DeliveriesToday > 0 {
		o.SuccessRateToday = math.Round(10000*float64(o.SuccessToday)/float64(o.DeliveriesToday)) / 100
	}
	return &o, nil
}

// GetVolume returns the number of events per source and bucket.
func (r *Router) GetVolume(ctx context.Context, p VolumeParams) (*Volume, error) {
	q, err := r.metricsQuery(ctx, p.After, p.Before, p.Granularity, p.SourceID)
	if err != nil {
		return nil, err
	}
	rollups, err := r.store.EventRollups(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("volume: %w", err)
	}
	if len(rollups) > MaxMetricsPoints {
		return nil, tooManyPoints("source_id")
	}
	names, err := rollupNames(ctx, r, store.KindSource, q.Tenant, rollups, func(e store.EventRollup) string { return e.SourceID })
	if err != nil {
		return nil, fmt.Errorf("volume: %w", err)
	}
	v := &Volume{Series: make([]VolumePoint, len(rollups)), Granularity: granularity(q)}
	for i, e := range rollups {
		v.Series[i] = VolumePoint{Bucket: e.Bucket, SourceID: e.SourceID, SourceName: names[e.SourceID], EventCount: e.Events}
	}
	sortSeries(v.Series, func(p VolumePoint) (time.Time, string) { return p.Bucket, p.SourceID })
	return v, nil
}

// GetDeliveryMetrics returns the number of delivery attempts per
// destination and bucket, with their outcomes.
func (r *Router) GetDeliveryMetrics(ctx context.Context, p DeliveryMetricsParams) (*DeliveryMetrics, error) {
	q, err := r.metricsQuery(ctx, p.After, p.Before, p.Granularity, p.DestinationID)
	if err != nil {
		return nil, err
	}
	rollups, names, err := r.deliveryRollups(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("delivery metrics: %w", err)
	}
	m := &DeliveryMetrics{Series: make([]DeliveryPoint, len(rollups)), Granularity: granularity(q)}
	for i, d := range rollups {
		m.Series[i] = DeliveryPoint{
			Bucket: d.Bucket, DestinationID: d.DestinationID, DestinationName: names[d.DestinationID],
			DeliveryCount: d.Attempts, SuccessCount: d.Successes, FailedCount: d.Failures, DLQCount: d.DeadLetters,
		}
	}
	sortSeries(m.Series, func(p DeliveryPoint) (time.Time, string) { return p.Bucket, p.DestinationID })
	return m, nil
}

// GetLatencyMetrics returns the p50, p95 and p99 of attempt durations per
// destination and hour.
func (r *Router) GetLatencyMetrics(ctx context.Context, p LatencyParams) (*LatencyMetrics, error) {
	q, err := r.metricsQuery(ctx, p.After, p.Before, GranularityHour, p.DestinationID)
	if err != nil {
		return nil, err
	}
	rollups, names, err := r.deliveryRollups(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("latency metrics: %w", err)
	}
	m := &LatencyMetrics{Series: make([]LatencyPoint, len(rollups))}
	for i, d := range rollups {
		h := d.Latency
		m.Series[i] = LatencyPoint{
			Bucket: d.Bucket, DestinationID: d.DestinationID, DestinationName: names[d.DestinationID],
			P50MS: h.Percentile(50), P95MS: h.Percentile(95), P99MS: h.Percentile(99), Count: h.Count(),
		}
	}
	sortSeries(m.Series, func(p LatencyPoint) (time.Time, string) { return p.Bucket, p.DestinationID })
	return m, nil
}

// deliveryRollups reads the delivery rollups of q, refusing more than
// MaxMetricsPoints, with the names of their destinations.
func (r *Router) deliveryRollups(ctx context.Context, q store.RollupQuery) ([]store.DeliveryRollup, map[string]string, error) {
	rollups, err := r.store.DeliveryRollups(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	if len(rollups) > MaxMetricsPoints {
		return nil, nil, tooManyPoints("destination_id")
	}
	names, err := rollupNames(ctx, r, store.KindDestination, q.Tenant, rollups, func(d store.DeliveryRollup) string { return d.DestinationID })
	return rollups, names, err
}

// metricsQuery validates a series' range and granularity and returns the
// store query of its rollups: one more than MaxMetricsPoints at most, so
// that a range holding more is told apart.
func (r *Router) metricsQuery(ctx context.Context, after, before time.Time, g Granularity, id string) (store.RollupQuery, error) {
	longest := MaxHourlyRange
	switch g {
	case "", GranularityHour:
	case GranularityDay:
		longest = MaxDailyRange
	default:
		return store.RollupQuery{}, invalid("granularity", "must be one of %s, %s", GranularityHour, GranularityDay)
	}
	now := r.now()
	switch {
	case before.IsZero() && after.IsZero():
		before, after = now, now.Add(-DefaultMetricsRange)
	case before.IsZero():
		if !after.Before(now) {
			return store.RollupQuery{}, invalid("after", "must be in the past when 'before' is not given")
		}
		before = minTime(now, after.Add(longest))
	case after.IsZero():
		after = before.Add(-DefaultMetricsRange)
	}
	if !before.After(after) {
		return store.RollupQuery{}, invalid("before", "must be later than 'after'")
	}
	if before.Sub(after) > longest {
		return store.RollupQuery{}, invalid("after", "must be at most %d days before 'before' with granularity %s",
			int(longest/(24*time.Hour)), cmp.Or(g, GranularityHour))
	}
	return store.RollupQuery{Tenant: r.tenant(ctx), ID: id, From: after, To: before, Daily: g == GranularityDay, Limit: MaxMetricsPoints + 1}, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// granularity is the granularity of q's buckets.
func granularity(q store.RollupQuery) Granularity {
	if q.Daily {
		return GranularityDay
	}
	return GranularityHour
}

// tooManyPoints refuses a series of more than MaxMetricsPoints points;
// filter names the parameter that selects one source or destination.
func tooManyPoints(filter string) error {
	return invalid("after", "leaves more than %d points in the series: shorten the range, ask for days or for one '%s'", MaxMetricsPoints, filter)
}

// rollupNames returns the names of the resources of kind that rollups
// name (by id), in one store call.
func rollupNames[R any](ctx context.Context, r *Router, kind store.Kind, t Tenant, rollups []R, id func(R) string) (map[string]string, error) {
	var ids []string
	seen := map[string]bool{"": true} // published events have no source
	for _, x := range rollups {
		if i := id(x); !seen[i] {
			seen[i] = true
			ids = append(ids, i)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return resourceNames(ctx, r, kind, t, ids)
}

// sortSeries orders a series by bucket, then ID.
func sortSeries[P any](series []P, key func(P) (time.Time, string)) {
	slices.SortFunc(series, func(a, b P) int {
		ta, ia := key(a)
		tb, ib := key(b)
		return cmp.Or(ta.Compare(tb), cmp.Compare(ia, ib))
	})
}

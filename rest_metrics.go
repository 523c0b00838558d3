package hookstream

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"time"
)

// metricsEndpoints are the REST operations of metrics (spec §4.8).
func (r *Router) metricsEndpoints() []endpoint {
	return []endpoint{
		{method: "GET", path: "/v1/metrics/overview", handle: r.apiMetricsOverview},
		{method: "GET", path: "/v1/metrics/volume", handle: r.apiMetricsVolume},
		{method: "GET", path: "/v1/metrics/deliveries", handle: r.apiMetricsDeliveries},
		{method: "GET", path: "/v1/metrics/latency", handle: r.apiMetricsLatency},
	}
}

// The wire forms of metrics.

// wireSeries is the answer of a series: its points, then its granularity
// (none for latency, always hourly).
type wireSeries[P any] struct {
	Series      []P         `json:"series"`
	Granularity Granularity `json:"granularity,omitempty"`
}

type wireOverview struct {
	EventsToday        int64    `json:"events_today"`
	EventsThisWeek     int64    `json:"events_this_week"`
	ActiveSources      int      `json:"active_sources"`
	DeliveriesToday    int64    `json:"deliveries_today"`
	SuccessToday       int64    `json:"success_today"`
	FailedToday        int64    `json:"failed_today"`
	SuccessRateToday   *float64 `json:"success_rate_today"`
	DLQCount           int64    `json:"dlq_count"`
	ActiveDestinations int      `json:"active_destinations"`
}

type wireVolumePoint struct {
	Bucket     string  `json:"bucket"`
	SourceID   *string `json:"source_id"`
	SourceName *string `json:"source_name"`
	EventCount int64   `json:"event_count"`
}

type wireDeliveryPoint struct {
	Bucket          string  `json:"bucket"`
	DestinationID   string  `json:"destination_id"`
	DestinationName *string `json:"destination_name"`
	DeliveryCount   int64   `json:"delivery_count"`
	SuccessCount    int64   `json:"success_count"`
	FailedCount     int64   `json:"failed_count"`
	DLQCount        int64   `json:"dlq_count"`
}

type wireLatencyPoint struct {
	Bucket          string  `json:"bucket"`
	DestinationID   string  `json:"destination_id"`
	DestinationName *string `json:"destination_name"`
	P50MS           int64   `json:"p50_ms"`
	P95MS           int64   `json:"p95_ms"`
	P99MS           int64   `json:"p99_ms"`
	Count           int64   `json:"count"`
}

func (r *Router) apiMetricsOverview(w http.ResponseWriter, req *http.Request) error {
	o, err := r.GetMetricsOverview(req.Context())
	if err != nil {
		return err
	}
	wire := wireOverview{
		EventsToday: o.EventsToday, EventsThisWeek: o.EventsThisWeek, ActiveSources: o.ActiveSources,
		DeliveriesToday: o.DeliveriesToday, SuccessToday: o.SuccessToday, FailedToday: o.FailedToday,
		DLQCount: o.DLQCount, ActiveDestinations: o.ActiveDestinations,
	}
	if o.DeliveriesToday > 0 {
		wire.SuccessRateToday = &o.SuccessRateToday
	}
	writeJSON(w, http.StatusOK, wire)
	return nil
}

func (r *Router) apiMetricsVolume(w http.ResponseWriter, req *http.Request) error {
	after, before, g, err := metricsRange(req, true)
	if err != nil {
		return err
	}
	v, err := r.GetVolume(req.Context(), VolumeParams{After: after, Before: before, SourceID: req.URL.Query().Get("source_id"), Granularity: g})
	if err != nil {
		return asQueryError(err)
	}
	series := make([]wireVolumePoint, len(v.Series))
	for i, p := range v.Series {
		series[i] = wireVolumePoint{Bucket: mustTime(p.Bucket), SourceID: wireString(p.SourceID), SourceName: wireString(p.SourceName), EventCount: p.EventCount}
	}
	writeJSON(w, http.StatusOK, wireSeries[wireVolumePoint]{Series: series, Granularity: v.Granularity})
	return nil
}

func (r *Router) apiMetricsDeliveries(w http.ResponseWriter, req *http.Request) error {
	after, before, g, err := metricsRange(req, true)
	if err != nil {
		return err
	}
	m, err := r.GetDeliveryMetrics(req.Context(), DeliveryMetricsParams{After: after, Before: before, DestinationID: req.URL.Query().Get("destination_id"), Granularity: g})
	if err != nil {
		return asQueryError(err)
	}
	series := make([]wireDeliveryPoint, len(m.Series))
	for i, p := range m.Series {
		series[i] = wireDeliveryPoint{
			Bucket: mustTime(p.Bucket), DestinationID: p.DestinationID, DestinationName: wireString(p.DestinationName),
			DeliveryCount: p.DeliveryCount, SuccessCount: p.SuccessCount, FailedCount: p.FailedCount, DLQCount: p.DLQCount,
		}
	}
	writeJSON(w, http.StatusOK, wireSeries[wireDeliveryPoint]{Series: series, Granularity: m.Granularity})
	return nil
}

func (r *Router) apiMetricsLatency(w http.ResponseWriter, req *http.Request) error {
	after, before, _, err := metricsRange(req, false)
	if err != nil {
		return err
	}
	m, err := r.GetLatencyMetrics(req.Context(), LatencyParams{After: after, Before: before, DestinationID: req.URL.Query().Get("destination_id")})
	if err != nil {
		return asQueryError(err)
	}
	series := make([]wireLatencyPoint, len(m.Series))
	for i, p := range m.Series {
		series[i] = wireLatencyPoint{
			Bucket: mustTime(p.Bucket), DestinationID: p.DestinationID, DestinationName: wireString(p.DestinationName),
			P50MS: p.P50MS, P95MS: p.P95MS, P99MS: p.P99MS, Count: p.Count,
		}
	}
	writeJSON(w, http.StatusOK, wireSeries[wireLatencyPoint]{Series: series})
	return nil
}

// metricsRange reads after, before and (when the series takes one)
// granularity.
func metricsRange(req *http.Request, withGranularity bool) (after, before time.Time, g Granularity, err error) {
	if withGranularity {
		if err = queryEnums(req, map[string][]string{"granularity": {string(GranularityHour), string(GranularityDay)}}); err != nil {
			return
		}
		g = Granularity(req.URL.Query().Get("granularity"))
	}
	if after, err = queryTime(req, "after"); err != nil {
		return
	}
	before, err = queryTime(req, "before")
	return
}

// asQueryError words a metrics call's validation error as the query
// parameter's it is.
func asQueryError(err error) error {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return withMessage(errBadRequest, fmt.Sprintf("Invalid query: '%s' %s", ve.Field, ve.Reason))
	}
	return err
}

// metricsDocs documents metricsEndpoints for the OpenAPI document.
func metricsDocs() map[string]apiDoc {
	series := func(point any, name string, withGranularity bool) schema {
		item := typeSchema(reflect.TypeOf(point))
		item["properties"].(props)["bucket"] = merge(str(), schema{"format": "date-time", "pattern": wireTimePattern,
			"description": "The start of the hour or day (UTC), RFC 3339 with three fractional digits."})
		p := props{"series": array(named(item, "schemas", name))}
		if withGranularity {
			p["granularity"] = schema{"type": "string", "enum": enumOf[Granularity]()}
		}
		return object(p)
	}
	return map[string]apiDoc{
		"GET /v1/metrics/overview": {summary: "Today's activity of the environment", status: 200,
			response: named(typeSchema(reflect.TypeFor[wireOverview]()), "schemas", "MetricsOverview")},
		"GET /v1/metrics/volume":     {summary: "Events per source and hour or day", status: 200, response: series(wireVolumePoint{}, "VolumePoint", true)},
		"GET /v1/metrics/deliveries": {summary: "Delivery attempts per destination and hour or day", status: 200, response: series(wireDeliveryPoint{}, "DeliveryPoint", true)},
		"GET /v1/metrics/latency":    {summary: "Attempt latency percentiles per destination and hour", status: 200, response: series(wireLatencyPoint{}, "LatencyPoint", false)},
	}
}

// metricsOperations says what the OpenAPI document says of metricsEndpoints
// beyond metricsDocs.
func metricsOperations() map[string]openAPIOperation {
	rangeQuery := func(filter, what string, withGranularity bool) []schema {
		q := []schema{
			timeParam("after", fmt.Sprintf("The start of the range: the series holds the buckets that overlap [after, before). "+
				"Defaults to %s before 'before'.", DefaultMetricsRange)),
			timeParam("before", "The end of the range (exclusive). Defaults to now or, when only 'after' is given, "+
				"to the earlier of now and 'after' plus the longest range."),
			queryString(filter, "Only the "+what+" (its ID)."),
		}
		if withGranularity {
			q = append(q, queryParam("granularity", "The bucket size: hours (at most 31 days, 744 buckets) or UTC days (at most 366).",
				schema{"type": "string", "enum": enumOf[Granularity](), "default": string(GranularityHour)}))
		}
		return q
	}
	bounds := fmt.Sprintf(" A range over its longest, or one whose series would hold more than %d points, is a 400.", MaxMetricsPoints)
	return map[string]openAPIOperation{
		"GET /v1/metrics/overview": {id: "getMetricsOverview", tag: tagMetrics,
			description: "Today is the UTC day so far, this week the ISO week (from Monday 00:00 UTC). Deliveries are delivery attempts " +
				"(retries count once each); dlq_count counts today's attempts that dead-lettered their delivery; active sources and " +
				"destinations are those that stored an event or were attempted today. success_rate_today is a percentage " +
				"(two decimals), null when there was no attempt today."},
		"GET /v1/metrics/volume": {id: "getMetricsVolume", tag: tagMetrics, query: rangeQuery("source_id", "events of this source", true),
			description: "Events stored (duplicates included), per source and bucket, by bucket then source ID; buckets without events are left out. " +
				"Events published to topics have a null source_id." + bounds},
		"GET /v1/metrics/deliveries": {id: "getMetricsDeliveries", tag: tagMetrics, query: rangeQuery("destination_id", "attempts to this destination", true),
			description: "Delivery attempts per destination and bucket (by the attempt's created_at): delivery_count counts every attempt, " +
				"success_count and failed_count by status, dlq_count those with is_dlq 1 (failures too). Buckets without attempts are left out." + bounds},
		"GET /v1/metrics/latency": {id: "getMetricsLatency", tag: tagMetrics, query: rangeQuery("destination_id", "attempts to this destination", false),
			description: "Percentiles of the attempts' duration_ms per destination and hour, by nearest rank, from a histogram exact to 15 ms " +
				"and at most 6.25% off above. Hours without attempts are left out." + bounds},
	}
}

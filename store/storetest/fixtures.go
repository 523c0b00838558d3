package storetest

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hookstream-go/hookstream/store"
)

// t0 is the time the suite starts at; every time is relative to it.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

// at returns t0 plus n minutes.
func at(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }

// leaseTTL is the lease duration the suite uses.
const leaseTTL = time.Minute

// Tenants: a and b are two environments of one organization, c another
// organization.
var (
	tenantA = store.Tenant{OrgID: "org_1", EnvID: "env_a"}
	tenantB = store.Tenant{OrgID: "org_1", EnvID: "env_b"}
	tenantC = store.Tenant{OrgID: "org_2", EnvID: "env_c"}
)

func meta(tn store.Tenant, id string, created time.Time) store.Meta {
	return store.Meta{ID: id, OrgID: tn.OrgID, EnvID: tn.EnvID, CreatedAt: created, UpdatedAt: created}
}

func source(tn store.Tenant, id, slug string) *store.Source {
	return &store.Source{
		Meta: meta(tn, id, t0), Slug: slug, Name: "Source " + id, Type: "webhook",
		SourceConfig: json.RawMessage(`{"mode":"any"}`), IPAllowlist: []string{"10.0.0.0/8"}, Status: "active",
	}
}

func destination(tn store.Tenant, id, slug string) *store.Destination {
	return &store.Destination{
		Meta: meta(tn, id, t0), Slug: slug, Name: "Destination " + id, Type: "http",
		URL: "https://example.com/" + id, Method: "POST", Headers: map[string]string{"X-Team": "core"},
		TimeoutMS: 5000, Status: "active", RetryIntervals: []int{1, 10, 60},
	}
}

func connection(tn store.Tenant, id, sourceID, destinationID string) *store.Connection {
	return &store.Connection{
		Meta: meta(tn, id, t0), SourceID: sourceID, DestinationID: destinationID,
		Name: "Connection " + id, Enabled: true, Status: "active",
	}
}

func topic(tn store.Tenant, id, slug string) *store.Topic {
	return &store.Topic{Meta: meta(tn, id, t0), Slug: slug, Name: "Topic " + id, Status: "active"}
}

func subscription(tn store.Tenant, id, topicID, destinationID string) *store.Subscription {
	return &store.Subscription{Meta: meta(tn, id, t0), TopicID: topicID, DestinationID: destinationID, Enabled: true}
}

func environment(org, id, slug string) *store.Environment {
	return &store.Environment{Meta: meta(store.Tenant{OrgID: org}, id, t0), Slug: slug, Name: "Env " + id}
}

func apiKey(tn store.Tenant, id, hash string) *store.APIKey {
	return &store.APIKey{Meta: meta(tn, id, t0), Name: "Key " + id, KeyHash: hash, KeyPrefix: "hs_" + id, Scopes: []string{"read"}}
}

func replayJob(tn store.Tenant, id string, created time.Time) *store.ReplayJob {
	return &store.ReplayJob{
		Meta: meta(tn, id, created), DestinationID: "dst_1", From: at(-60), To: t0, RateLimit: 10, MaxEvents: 1000,
		Status: store.ReplayRunning, Total: 3, StartedAt: created,
	}
}

// fixture returns a resource of the kind in tenant tn (its organization
// only, for environments) whose refs are made by deps.
func fixture(kind store.Kind, tn store.Tenant, id string) store.Resource {
	switch kind {
	case store.KindSource:
		return source(tn, id, "slug-"+id)
	case store.KindDestination:
		return destination(tn, id, "slug-"+id)
	case store.KindConnection:
		return connection(tn, id, "src_dep", "dst_dep")
	case store.KindTopic:
		return topic(tn, id, "slug-"+id)
	case store.KindSubscription:
		return subscription(tn, id, "top_dep", "dst_"+id)
	case store.KindEnvironment:
		return environment(tn.OrgID, id, "slug-"+id)
	case store.KindAPIKey:
		return apiKey(tn, id, "hash-"+id)
	case store.KindReplayJob:
		return replayJob(tn, id, t0)
	}
	panic(fmt.Sprintf("storetest: unknown kind %q", kind))
}

// deps returns the resources that fixture(kind, tn, id) refers to.
func deps(kind store.Kind, tn store.Tenant, id string) []store.Resource {
	switch kind {
	case store.KindConnection:
		return []store.Resource{source(tn, "src_dep", "src-dep"), destination(tn, "dst_dep", "dst-dep")}
	case store.KindSubscription:
		return []store.Resource{topic(tn, "top_dep", "top-dep"), destination(tn, "dst_"+id, "dst-"+id)}
	}
	return nil
}

// rename changes a field of every kind of resource.
func rename(r store.Resource, name string) {
	switch r := r.(type) {
	case *store.Source:
		r.Name = name
	case *store.Destination:
		r.Name = name
	case *store.Connection:
		r.Name = name
	case *store.Topic:
		r.Name = name
	case *store.Subscription:
		r.TransformExpression = name
	case *store.Environment:
		r.Name = name
	case *store.APIKey:
		r.Name = name
	case *store.ReplayJob:
		r.Error = name
	}
}

func event(tn store.Tenant, id string, received time.Time) *store.Event {
	return &store.Event{
		ID: id, OrgID: tn.OrgID, EnvID: tn.EnvID, SourceID: "src_1", Method: "POST",
		Headers: map[string]string{"Content-Type": "application/json"}, ContentType: "application/json",
		Body: []byte(`{"id":"` + id + `"}`), VerificationStatus: "verified", ReceivedAt: received,
		Traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	}
}

func delivery(e *store.Event, id, destinationID string) *store.Delivery {
	return &store.Delivery{
		ID: id, OrgID: e.OrgID, EnvID: e.EnvID, EventID: e.ID, ConnectionID: "con_" + destinationID,
		DestinationID: destinationID, NextAt: e.ReceivedAt, Trigger: store.TriggerInitial, CreatedAt: e.ReceivedAt,
	}
}

func attempt(d *store.Delivery, id, status string, created time.Time) *store.Attempt {
	return &store.Attempt{
		ID: id, OrgID: d.OrgID, EnvID: d.EnvID, EventID: d.EventID, DeliveryID: d.ID,
		ConnectionID: d.ConnectionID, DestinationID: d.DestinationID, RequestURL: "https://example.com",
		RequestMethod: "POST", ResponseStatus: 200, Status: status, CreatedAt: created, Trigger: d.Trigger,
	}
}

// outcome completes the leased delivery d with result r at now.
func outcome(d *store.Delivery, r store.Result, a *store.Attempt, now time.Time) store.Outcome {
	return store.Outcome{DeliveryID: d.ID, LeaseToken: d.LeaseToken, Attempt: a, Result: r, RetryAt: now.Add(time.Minute), Now: now}
}

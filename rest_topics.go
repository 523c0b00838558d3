package hookstream

import (
	"io"
	"net/http"
	"reflect"

	"github.com/hookstream-go/hookstream/store"
)

// topicEndpoints are the REST operations on topics and subscriptions.
func (r *Router) topicEndpoints() []endpoint {
	return []endpoint{
		{method: "GET", path: "/v1/topics", handle: r.apiListTopics},
		{method: "POST", path: "/v1/topics", handle: r.apiCreateTopic},
		{method: "GET", path: "/v1/topics/{id}", handle: r.apiGetTopic},
		{method: "PATCH", path: "/v1/topics/{id}", handle: r.apiUpdateTopic},
		{method: "DELETE", path: "/v1/topics/{id}", handle: r.apiDeleteTopic},
		{method: "POST", path: "/v1/topics/{id}/publish", handle: r.apiPublish},
		{method: "GET", path: "/v1/topics/{id}/subscriptions", handle: r.apiListSubscriptions},
		{method: "POST", path: "/v1/topics/{id}/subscriptions", handle: r.apiSubscribe},
		{method: "PATCH", path: "/v1/topics/{id}/subscriptions/{sub_id}", handle: r.apiUpdateSubscription},
		{method: "DELETE", path: "/v1/topics/{id}/subscriptions/{sub_id}", handle: r.apiUnsubscribe},
		{method: "POST", path: "/v1/topics/{id}/subscriptions/{sub_id}/test", handle: r.apiTestSubscription},
	}
}

// topicDocs documents topicEndpoints for the OpenAPI document.
func topicDocs() map[string]apiDoc {
	topic, sub := wireTopic{}, wireSubscription{}
	return map[string]apiDoc{
		"GET /v1/topics":  {summary: "List topics", status: 200, response: list("topics", topic)},
		"POST /v1/topics": {summary: "Create a topic", request: TopicParams{}, required: []string{"name"}, status: 201, response: one("topic", topic)},
		"GET /v1/topics/{id}": {summary: "Get a topic with its subscriptions", status: 200,
			response: object(props{"topic": typeSchema(reflect.TypeOf(topic)), "subscriptions": array(typeSchema(reflect.TypeOf(sub)))})},
		"PATCH /v1/topics/{id}":  {summary: "Update a topic", request: TopicParams{}, status: 200, response: one("topic", topic)},
		"DELETE /v1/topics/{id}": {summary: "Delete a topic", status: 200, response: successDoc()},
		"POST /v1/topics/{id}/publish": {summary: "Publish a JSON event to the topic with this slug", status: 200,
			response: typeSchema(reflect.TypeFor[wirePublish]())},
		"GET /v1/topics/{id}/subscriptions":             {summary: "List a topic's subscriptions", status: 200, response: list("subscriptions", sub)},
		"POST /v1/topics/{id}/subscriptions":            {summary: "Subscribe a destination to a topic", request: SubscribeParams{}, required: []string{"destination_id"}, status: 201, response: one("subscription", sub)},
		"PATCH /v1/topics/{id}/subscriptions/{sub_id}":  {summary: "Update a subscription", request: SubscribeParams{}, status: 200, response: one("subscription", sub)},
		"DELETE /v1/topics/{id}/subscriptions/{sub_id}": {summary: "Unsubscribe", status: 200, response: successDoc()},
		"POST /v1/topics/{id}/subscriptions/{sub_id}/test": {summary: "Dry-run a sample event through a subscription", request: TestParams{},
			required: []string{"payload"}, status: 200, response: typeSchema(reflect.TypeFor[RouteTest]())},
	}
}

func (r *Router) apiListTopics(w http.ResponseWriter, req *http.Request) error {
	p, err := listParams(req)
	if err != nil {
		return err
	}
	page, err := r.ListTopics(req.Context(), p)
	if err != nil {
		return err
	}
	base := r.baseURL(req)
	items := make([]wireTopic, len(page.Items))
	for i, t := range page.Items {
		items[i] = toWireTopic(t, base)
	}
	writeJSON(w, http.StatusOK, listBody("topics", items, page.NextCursor))
	return nil
}

func (r *Router) apiCreateTopic(w http.ResponseWriter, req *http.Request) error {
	var p TopicParams
	ctx, err := r.decodeBody(w, req, &p, "schema")
	if err != nil {
		return err
	}
	t, err := r.CreateTopic(ctx, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"topic": toWireTopic(t, r.baseURL(req))})
	return nil
}

func (r *Router) apiGetTopic(w http.ResponseWriter, req *http.Request) error {
	t, err := r.GetTopic(req.Context(), req.PathValue("id"))
	if err != nil {
		return err
	}
	subs, err := r.subscriptionsOf(req.Context(), &store.Topic{Meta: store.Meta{ID: t.ID, OrgID: t.OrgID, EnvID: t.EnvID}})
	if err != nil {
		return err
	}
	described, err := r.describeSubscriptions(req.Context(), subs)
	if err != nil {
		return err
	}
	items := make([]wireSubscription, len(described))
	for i, s := range described {
		items[i] = toWireSubscription(s)
	}
	writeJSON(w, http.StatusOK, map[string]any{"topic": toWireTopic(t, r.baseURL(req)), "subscriptions": items})
	return nil
}

func (r *Router) apiUpdateTopic(w http.ResponseWriter, req *http.Request) error {
	var p TopicParams
	ctx, err := r.decodeBody(w, req, &p, "schema")
	if err != nil {
		return err
	}
	t, err := r.UpdateTopic(ctx, req.PathValue("id"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"topic": toWireTopic(t, r.baseURL(req))})
	return nil
}

func (r *Router) apiDeleteTopic(w http.ResponseWriter, req *http.Request) error {
	if err := r.DeleteTopic(req.Context(), req.PathValue("id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, success)
	return nil
}

// apiPublish serves POST /v1/topics/{slug}/publish (the path segment is
// the topic's slug, as hookstream's API has it).
func (r *Router) apiPublish(w http.ResponseWriter, req *http.Request) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, r.cfg.MaxBodyBytes))
	if err != nil {
		return err
	}
	res, err := r.Publish(r.remoteParent(req.Context(), req.Header), req.PathValue("id"), body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wirePublish{EventID: res.EventID, Topic: res.Topic, ReceivedAt: mustTime(res.ReceivedAt)})
	return nil
}

func (r *Router) apiListSubscriptions(w http.ResponseWriter, req *http.Request) error {
	p, err := listParams(req)
	if err != nil {
		return err
	}
	page, err := r.ListSubscriptions(req.Context(), req.PathValue("id"), p)
	if err != nil {
		return err
	}
	items := make([]wireSubscription, len(page.Items))
	for i, s := range page.Items {
		items[i] = toWireSubscription(s)
	}
	writeJSON(w, http.StatusOK, listBody("subscriptions", items, page.NextCursor))
	return nil
}

func (r *Router) apiSubscribe(w http.ResponseWriter, req *http.Request) error {
	var p SubscribeParams
	ctx, err := r.decodeBody(w, req, &p, "filter_rules")
	if err != nil {
		return err
	}
	s, err := r.Subscribe(ctx, req.PathValue("id"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"subscription": toWireSubscription(s)})
	return nil
}

func (r *Router) apiUpdateSubscription(w http.ResponseWriter, req *http.Request) error {
	var p SubscribeParams
	ctx, err := r.decodeBody(w, req, &p, "filter_rules")
	if err != nil {
		return err
	}
	s, err := r.UpdateSubscription(ctx, req.PathValue("id"), req.PathValue("sub_id"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"subscription": toWireSubscription(s)})
	return nil
}

func (r *Router) apiUnsubscribe(w http.ResponseWriter, req *http.Request) error {
	if err := r.Unsubscribe(req.Context(), req.PathValue("id"), req.PathValue("sub_id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, success)
	return nil
}

func (r *Router) apiTestSubscription(w http.ResponseWriter, req *http.Request) error {
	var p TestParams
	ctx, err := r.decodeBody(w, req, &p, "filter_rules")
	if err != nil {
		return err
	}
	res, err := r.TestSubscription(ctx, req.PathValue("id"), req.PathValue("sub_id"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

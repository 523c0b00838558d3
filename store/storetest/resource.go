package storetest

import (
	"fmt"
	"testing"

	"github.com/hookstream-go/hookstream/store"
)

func testResources(t *testing.T, newStore func(t *testing.T) store.Store) {
	for _, kind := range store.Kinds {
		t.Run("CRUD/"+string(kind), func(t *testing.T) {
			t.Parallel()
			testCRUD(setup(t, newStore), kind)
		})
	}
	parallel(t, newStore, map[string]func(h *harness){
		"TenancyIsolation":            testTenancy,
		"IDTaken":                     testIDTaken,
		"SlugUniquePerEnvironment":    testSlugUnique,
		"SubscriptionPairUnique":      testSubscriptionPair,
		"DeleteReferencedConflicts":   testDeleteReferenced,
		"MissingRefNotFound":          testMissingRef,
		"LookupByUniqueKey":           testLookup,
		"ReturnsCopies":               testResourceCopies,
		"UpdateKeepsCreatedAt":        testUpdateKeepsCreatedAt,
		"UpdateReleasesUniqueKeys":    testUpdateReleasesKeys,
		"ListNewestFirst":             testListNewestFirst,
		"ListStableWhileRowsAreAdded": testListStable,
		"ListRefersTo":                testListRefersTo,
		"GetMany":                     testGetMany,
		"ListOrganization":            testListOrganization,
	})
}

func testCRUD(h *harness, kind store.Kind) {
	t := h.t
	h.create(deps(kind, tenantA, "x1")...)
	r := fixture(kind, tenantA, "x1")
	h.create(r)
	tn := r.GetMeta().Tenant()

	got, _ := store.NewResource(kind)
	got.GetMeta().ID, got.GetMeta().OrgID, got.GetMeta().EnvID = "x1", tn.OrgID, tn.EnvID
	wantErr(t, "Get", h.s.Get(h.ctx, got), nil)
	wantEqual(t, "Get", got, r)

	rename(r, "renamed")
	r.GetMeta().UpdatedAt = at(5)
	wantErr(t, "Update", h.s.Update(h.ctx, r), nil)
	wantErr(t, "Get after Update", h.s.Get(h.ctx, got), nil)
	wantEqual(t, "Get after Update", got, r)

	page, err := h.s.List(h.ctx, store.ListQuery{Kind: kind, Tenant: tn})
	wantErr(t, "List", err, nil)
	wantEqual(t, "List", page.Items, []store.Resource{r})
	if page.HasMore() {
		t.Fatalf("List: HasMore with one resource")
	}

	wantErr(t, "Delete", h.s.Delete(h.ctx, kind, tn, "x1"), nil)
	wantErr(t, "Get after Delete", h.s.Get(h.ctx, got), store.ErrNotFound)
	wantErr(t, "Delete again", h.s.Delete(h.ctx, kind, tn, "x1"), store.ErrNotFound)
	wantErr(t, "Update after Delete", h.s.Update(h.ctx, r), store.ErrNotFound)
	page, err = h.s.List(h.ctx, store.ListQuery{Kind: kind, Tenant: tn})
	wantErr(t, "List after Delete", err, nil)
	wantEqual(t, "List after Delete", len(page.Items), 0)
	// The deleted resource's unique keys are free again.
	h.create(fixture(kind, tenantA, "x1"))
}

func testTenancy(h *harness) {
	t := h.t
	h.create(source(tenantA, "src_1", "shop"), destination(tenantA, "dst_1", "hook"))
	for _, tn := range []store.Tenant{tenantB, tenantC} {
		name := tn.OrgID + "/" + tn.EnvID
		other := source(tn, "src_1", "shop")
		wantErr(t, "Get from "+name, h.s.Get(h.ctx, other), store.ErrNotFound)
		wantErr(t, "Update from "+name, h.s.Update(h.ctx, other), store.ErrNotFound)
		wantErr(t, "Delete from "+name, h.s.Delete(h.ctx, store.KindSource, tn, "src_1"), store.ErrNotFound)
		page, err := h.s.List(h.ctx, store.ListQuery{Kind: store.KindSource, Tenant: tn})
		wantErr(t, "List "+name, err, nil)
		wantEqual(t, "List "+name, len(page.Items), 0)
	}
	got := source(tenantA, "src_1", "")
	wantErr(t, "Get from owner", h.s.Get(h.ctx, got), nil)
	wantEqual(t, "Get from owner", got, source(tenantA, "src_1", "shop"))
	page, err := h.s.List(h.ctx, store.ListQuery{Kind: store.KindDestination, Tenant: tenantA})
	wantErr(t, "List owner", err, nil)
	wantEqual(t, "List owner", resourceIDs(page.Items), []string{"dst_1"})
}

func testIDTaken(h *harness) {
	h.create(source(tenantA, "src_1", "one"))
	wantErr(h.t, "same ID", h.s.Create(h.ctx, source(tenantA, "src_1", "two")), store.ErrConflict)
	wantErr(h.t, "same ID in another tenant", h.s.Create(h.ctx, source(tenantC, "src_1", "two")), store.ErrConflict)
	// IDs are per kind.
	h.create(destination(tenantA, "src_1", "one"))
}

func testSlugUnique(h *harness) {
	h.create(source(tenantA, "src_1", "shop"))
	wantErr(h.t, "same slug, same env", h.s.Create(h.ctx, source(tenantA, "src_2", "shop")), store.ErrConflict)
	h.create(source(tenantB, "src_3", "shop"), source(tenantC, "src_4", "shop"), destination(tenantA, "dst_1", "shop"))
	// Sources without slug do not collide.
	h.create(source(tenantA, "src_5", ""), source(tenantA, "src_6", ""))
}

func testSubscriptionPair(h *harness) {
	h.create(topic(tenantA, "top_1", "orders"), destination(tenantA, "dst_1", "a"), destination(tenantA, "dst_2", "b"))
	h.create(subscription(tenantA, "sub_1", "top_1", "dst_1"))
	wantErr(h.t, "same pair", h.s.Create(h.ctx, subscription(tenantA, "sub_2", "top_1", "dst_1")), store.ErrConflict)
	h.create(subscription(tenantA, "sub_3", "top_1", "dst_2"))
	wantErr(h.t, "update onto a taken pair", h.s.Update(h.ctx, subscription(tenantA, "sub_3", "top_1", "dst_1")), store.ErrConflict)
}

func testDeleteReferenced(h *harness) {
	t := h.t
	h.create(source(tenantA, "src_1", "s"), destination(tenantA, "dst_1", "d"), topic(tenantA, "top_1", "t"))
	h.create(connection(tenantA, "con_1", "src_1", "dst_1"), subscription(tenantA, "sub_1", "top_1", "dst_1"))
	wantErr(t, "delete source", h.s.Delete(h.ctx, store.KindSource, tenantA, "src_1"), store.ErrConflict)
	wantErr(t, "delete destination", h.s.Delete(h.ctx, store.KindDestination, tenantA, "dst_1"), store.ErrConflict)
	wantErr(t, "delete topic", h.s.Delete(h.ctx, store.KindTopic, tenantA, "top_1"), store.ErrConflict)

	wantErr(t, "delete connection", h.s.Delete(h.ctx, store.KindConnection, tenantA, "con_1"), nil)
	wantErr(t, "delete source after", h.s.Delete(h.ctx, store.KindSource, tenantA, "src_1"), nil)
	wantErr(t, "delete destination still subscribed", h.s.Delete(h.ctx, store.KindDestination, tenantA, "dst_1"), store.ErrConflict)

	// Moving a reference away releases the old target.
	h.create(destination(tenantA, "dst_2", "d2"))
	wantErr(t, "update subscription", h.s.Update(h.ctx, subscription(tenantA, "sub_1", "top_1", "dst_2")), nil)
	wantErr(t, "delete old target", h.s.Delete(h.ctx, store.KindDestination, tenantA, "dst_1"), nil)
	wantErr(t, "delete new target", h.s.Delete(h.ctx, store.KindDestination, tenantA, "dst_2"), store.ErrConflict)
}

func testMissingRef(h *harness) {
	t := h.t
	h.create(source(tenantA, "src_1", "s"), destination(tenantA, "dst_1", "d"), destination(tenantB, "dst_b", "d"))
	wantErr(t, "missing destination", h.s.Create(h.ctx, connection(tenantA, "con_1", "src_1", "dst_x")), store.ErrNotFound)
	wantErr(t, "destination in another env", h.s.Create(h.ctx, connection(tenantA, "con_1", "src_1", "dst_b")), store.ErrNotFound)
	wantErr(t, "missing topic", h.s.Create(h.ctx, subscription(tenantA, "sub_1", "top_x", "dst_1")), store.ErrNotFound)
	// A refused create leaves nothing behind.
	wantErr(t, "Get refused", h.s.Get(h.ctx, connection(tenantA, "con_1", "", "")), store.ErrNotFound)
	wantErr(t, "delete source after refused create", h.s.Delete(h.ctx, store.KindSource, tenantA, "src_1"), nil)

	h.create(source(tenantA, "src_2", "s2"), connection(tenantA, "con_2", "src_2", "dst_1"))
	wantErr(t, "update to a missing ref", h.s.Update(h.ctx, connection(tenantA, "con_2", "src_2", "dst_x")), store.ErrNotFound)
	got := connection(tenantA, "con_2", "", "")
	wantErr(t, "Get after refused update", h.s.Get(h.ctx, got), nil)
	wantEqual(t, "DestinationID after refused update", got.DestinationID, "dst_1")
}

func testLookup(h *harness) {
	t := h.t
	h.create(apiKey(tenantA, "key_1", "aaa"), apiKey(tenantC, "key_2", "bbb"), source(tenantB, "src_1", "shop"))
	for hash, want := range map[string]*store.APIKey{"aaa": apiKey(tenantA, "key_1", "aaa"), "bbb": apiKey(tenantC, "key_2", "bbb")} {
		got := new(store.APIKey)
		wantErr(t, "Lookup "+hash, h.s.Lookup(h.ctx, got, store.APIKeyHashKey(hash)), nil)
		wantEqual(t, "Lookup "+hash, got, want)
	}
	wantErr(t, "Lookup missing", h.s.Lookup(h.ctx, new(store.APIKey), store.APIKeyHashKey("ccc")), store.ErrNotFound)
	src := new(store.Source)
	wantErr(t, "Lookup slug", h.s.Lookup(h.ctx, src, store.SlugKey(tenantB, "shop")), nil)
	wantEqual(t, "Lookup slug", src.ID, "src_1")
	wantErr(t, "Lookup slug of another env", h.s.Lookup(h.ctx, new(store.Source), store.SlugKey(tenantA, "shop")), store.ErrNotFound)
	wantErr(t, "Lookup another kind", h.s.Lookup(h.ctx, new(store.Destination), store.SlugKey(tenantB, "shop")), store.ErrNotFound)
}

func testResourceCopies(h *harness) {
	t := h.t
	d := destination(tenantA, "dst_1", "d")
	h.create(d)
	d.Headers["X-Team"], d.RetryIntervals[0], d.Name = "changed", 99, "changed"

	want := destination(tenantA, "dst_1", "d")
	got := destination(tenantA, "dst_1", "")
	wantErr(t, "Get", h.s.Get(h.ctx, got), nil)
	wantEqual(t, "Get after changing the created value", got, want)

	got.Headers["X-Team"], got.RetryIntervals[0] = "changed", 99
	again := destination(tenantA, "dst_1", "")
	wantErr(t, "Get", h.s.Get(h.ctx, again), nil)
	wantEqual(t, "Get after changing a returned value", again, want)

	page, err := h.s.List(h.ctx, store.ListQuery{Kind: store.KindDestination, Tenant: tenantA})
	wantErr(t, "List", err, nil)
	page.Items[0].(*store.Destination).Headers["X-Team"] = "changed"
	wantErr(t, "Get", h.s.Get(h.ctx, again), nil)
	wantEqual(t, "Get after changing a listed value", again, want)

	// Get replaces, not merges: fields absent from the stored record are
	// cleared.
	stale := destination(tenantA, "dst_1", "")
	stale.Headers = map[string]string{"X-Stale": "1"}
	stale.AuthType = "stale"
	wantErr(t, "Get into a used value", h.s.Get(h.ctx, stale), nil)
	wantEqual(t, "Get into a used value", stale, want)
}

func testUpdateKeepsCreatedAt(h *harness) {
	t := h.t
	h.create(source(tenantA, "src_1", "s"))
	upd := source(tenantA, "src_1", "s")
	upd.CreatedAt, upd.UpdatedAt, upd.Name = at(60), at(60), "new name"
	wantErr(t, "Update", h.s.Update(h.ctx, upd), nil)
	got := source(tenantA, "src_1", "")
	wantErr(t, "Get", h.s.Get(h.ctx, got), nil)
	if !got.CreatedAt.Equal(t0) || !got.UpdatedAt.Equal(at(60)) || got.Name != "new name" {
		t.Fatalf("after Update: CreatedAt %v UpdatedAt %v Name %q; want %v, %v, new name", got.CreatedAt, got.UpdatedAt, got.Name, t0, at(60))
	}
}

func testUpdateReleasesKeys(h *harness) {
	t := h.t
	h.create(source(tenantA, "src_1", "old"), source(tenantA, "src_2", "other"))
	wantErr(t, "Update onto a taken slug", h.s.Update(h.ctx, source(tenantA, "src_1", "other")), store.ErrConflict)
	wantErr(t, "Update", h.s.Update(h.ctx, source(tenantA, "src_1", "new")), nil)
	wantErr(t, "Lookup old slug", h.s.Lookup(h.ctx, new(store.Source), store.SlugKey(tenantA, "old")), store.ErrNotFound)
	got := new(store.Source)
	wantErr(t, "Lookup new slug", h.s.Lookup(h.ctx, got, store.SlugKey(tenantA, "new")), nil)
	wantEqual(t, "Lookup new slug", got.ID, "src_1")
	h.create(source(tenantA, "src_3", "old"))
	// Keeping a key is not a conflict with oneself.
	wantErr(t, "Update keeping the slug", h.s.Update(h.ctx, source(tenantA, "src_1", "new")), nil)
}

// createSources creates sources src_<from>..src_<to> in tenantA, created
// one minute apart (src_<n> at minute n).
func createSources(h *harness, from, to int) {
	h.t.Helper()
	for n := from; n <= to; n++ {
		s := source(tenantA, fmt.Sprintf("src_%02d", n), "")
		s.CreatedAt = at(n)
		h.create(s)
	}
}

func testListNewestFirst(h *harness) {
	createSources(h, 1, 5)
	all, err := store.ListAll[*store.Source](h.ctx, h.s, store.ListQuery{Kind: store.KindSource, Tenant: tenantA})
	wantErr(h.t, "ListAll", err, nil)
	wantEqual(h.t, "ListAll", ids(all, func(s *store.Source) string { return s.ID }),
		[]string{"src_05", "src_04", "src_03", "src_02", "src_01"})
	page, err := h.s.List(h.ctx, store.ListQuery{Kind: store.KindSource, Tenant: tenantA, Limit: 5})
	wantErr(h.t, "List", err, nil)
	if page.HasMore() {
		h.t.Fatalf("List of exactly Limit resources has more")
	}
	_, err = h.s.List(h.ctx, store.ListQuery{Kind: store.KindSource, Tenant: tenantA, Cursor: "not a cursor!"})
	if err == nil {
		h.t.Fatalf("List with a bad cursor: no error")
	}
}

func testListStable(h *harness) {
	t := h.t
	createSources(h, 10, 15)
	q := store.ListQuery{Kind: store.KindSource, Tenant: tenantA, Limit: 2}
	var got []string
	for page := 0; ; page++ {
		p, err := h.s.List(h.ctx, q)
		wantErr(t, "List", err, nil)
		got = append(got, resourceIDs(p.Items)...)
		// Newer rows, and rows as old as the ones listed, arrive meanwhile.
		createSources(h, 20+2*page, 21+2*page)
		s := source(tenantA, fmt.Sprintf("src_same_%d", page), "")
		s.CreatedAt = at(12)
		h.create(s)
		if !p.HasMore() {
			break
		}
		q.Cursor = p.NextCursor
	}
	seen := map[string]bool{}
	for _, id := range got {
		if seen[id] {
			t.Fatalf("listing %v: %s twice", got, id)
		}
		seen[id] = true
	}
	for n := 10; n <= 15; n++ {
		if id := fmt.Sprintf("src_%02d", n); !seen[id] {
			t.Fatalf("listing %v: %s missing", got, id)
		}
	}
	for _, id := range got {
		if id >= "src_20" && id < "src_99" {
			t.Fatalf("listing %v: %s, created after the first page, shows in a later page", got, id)
		}
	}
}

func testGetMany(h *harness) {
	h.create(source(tenantA, "src_1", "a"), source(tenantA, "src_2", "b"), source(tenantB, "src_3", "c"))
	got, err := h.s.GetMany(h.ctx, store.KindSource, tenantA, []string{"src_2", "src_3", "src_9", "src_1", "src_2"})
	wantErr(h.t, "GetMany", err, nil)
	wantEqual(h.t, "GetMany: own, existing, in order, once", resourceIDs(got), []string{"src_2", "src_1"})
	if s := got[0].(*store.Source); s.Slug != "b" || s.Tenant() != tenantA {
		h.t.Fatalf("GetMany: %+v", s)
	}
	none, err := h.s.GetMany(h.ctx, store.KindDestination, tenantA, nil)
	wantErr(h.t, "GetMany of none", err, nil)
	wantEqual(h.t, "GetMany of none", resourceIDs(none), []string{})
}

func testListRefersTo(h *harness) {
	h.create(source(tenantA, "src_1", "a"), source(tenantA, "src_2", "b"), destination(tenantA, "dst_1", "d"), destination(tenantA, "dst_2", "e"))
	for i, src := range []string{"src_1", "src_2", "src_1", "src_2", "src_1"} {
		c := connection(tenantA, fmt.Sprintf("con_%d", i), src, "dst_1")
		c.CreatedAt = at(i)
		h.create(c)
	}
	other := connection(tenantA, "con_9", "src_1", "dst_2")
	other.CreatedAt = at(9)
	h.create(other)
	both := store.ListQuery{Kind: store.KindConnection, Tenant: tenantA, RefersTo: []store.Ref{
		{Kind: store.KindSource, ID: "src_1"}, {Kind: store.KindDestination, ID: "dst_2"},
	}}
	pb, err := h.s.List(h.ctx, both)
	wantErr(h.t, "List by source and destination", err, nil)
	wantEqual(h.t, "List by source and destination", resourceIDs(pb.Items), []string{"con_9"})
	none := store.ListQuery{Kind: store.KindSource, Tenant: tenantA, RefersTo: []store.Ref{{Kind: store.KindTopic, ID: "top_1"}}}
	pn, err := h.s.List(h.ctx, none)
	wantErr(h.t, "List sources referring to a topic", err, nil)
	wantEqual(h.t, "List sources referring to a topic", resourceIDs(pn.Items), []string{})
	q := store.ListQuery{Kind: store.KindConnection, Tenant: tenantA, Limit: 2, RefersTo: []store.Ref{
		{Kind: store.KindSource, ID: "src_1"}, {Kind: store.KindDestination, ID: "dst_1"},
	}}
	p1, err := h.s.List(h.ctx, q)
	wantErr(h.t, "List page 1", err, nil)
	wantEqual(h.t, "List page 1", resourceIDs(p1.Items), []string{"con_4", "con_2"})
	q.Cursor = p1.NextCursor
	p2, err := h.s.List(h.ctx, q)
	wantErr(h.t, "List page 2", err, nil)
	wantEqual(h.t, "List page 2", resourceIDs(p2.Items), []string{"con_0"})
	if p2.HasMore() {
		h.t.Fatalf("List page 2 has more")
	}
}

func testListOrganization(h *harness) {
	t := h.t
	e1, e2 := environment("org_1", "env_a", "a"), environment("org_1", "env_b", "b")
	e2.CreatedAt = at(1)
	h.create(e1, e2, environment("org_2", "env_c", "c"))
	wantErr(t, "same slug in org", h.s.Create(h.ctx, environment("org_1", "env_x", "a")), store.ErrConflict)
	h.create(environment("org_2", "env_y", "a"))
	page, err := h.s.List(h.ctx, store.ListQuery{Kind: store.KindEnvironment, Tenant: store.Tenant{OrgID: "org_1"}})
	wantErr(t, "List environments", err, nil)
	wantEqual(t, "List environments", resourceIDs(page.Items), []string{"env_b", "env_a"})

	sa, sb := source(tenantA, "src_a", "s"), source(tenantB, "src_b", "s")
	sb.CreatedAt = at(1)
	h.create(sa, sb, source(tenantC, "src_c", "s"))
	page, err = h.s.List(h.ctx, store.ListQuery{Kind: store.KindSource, Tenant: store.Tenant{OrgID: "org_1"}, Limit: 1})
	wantErr(t, "List sources of org", err, nil)
	wantEqual(t, "List sources of org", resourceIDs(page.Items), []string{"src_b"})
	page, err = h.s.List(h.ctx, store.ListQuery{Kind: store.KindSource, Tenant: store.Tenant{OrgID: "org_1"}, Cursor: page.NextCursor})
	wantErr(t, "List sources of org, page 2", err, nil)
	wantEqual(t, "List sources of org, page 2", resourceIDs(page.Items), []string{"src_a"})
}

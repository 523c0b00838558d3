package kv

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"

	"github.com/hookstream-go/hookstream/store"
)

func resourceKey(kind store.Kind, id string) key { return newKey().str(string(kind)).str(id) }

// listKey is the resource's key in BucketResourceList.
func listKey(kind store.Kind, m *store.Meta, seq uint64) key {
	return newKey().str(string(kind)).str(m.OrgID).str(m.EnvID).newest(m.CreatedAt).inv(seq)
}

// orgKey is the resource's key in BucketResourceOrg.
func orgKey(kind store.Kind, m *store.Meta, seq uint64) key {
	return newKey().str(string(kind)).str(m.OrgID).newest(m.CreatedAt).inv(seq)
}

// Create implements store.ResourceStore.
func (s *Store) Create(ctx context.Context, r store.Resource) error {
	kind, m := r.Kind(), r.GetMeta()
	return s.update(ctx, "create "+string(kind), func(tx Tx) error {
		res := tx.Bucket(BucketResources)
		rk := resourceKey(kind, m.ID)
		if res.Get(rk) != nil {
			return store.ErrConflict
		}
		if err := claimKeys(tx, kind, m.ID, r.UniqueKeys()); err != nil {
			return err
		}
		if err := checkRefs(tx, m.Tenant(), r.Refs()); err != nil {
			return err
		}
		seq, err := res.NextSequence()
		if err != nil {
			return err
		}
		v, err := record(seq, r)
		if err != nil {
			return err
		}
		if err := res.Put(rk, v); err != nil {
			return err
		}
		id := []byte(m.ID)
		if err := tx.Bucket(BucketResourceList).Put(listKey(kind, m, seq), id); err != nil {
			return err
		}
		if err := tx.Bucket(BucketResourceOrg).Put(orgKey(kind, m, seq), id); err != nil {
			return err
		}
		return putRefs(tx, kind, m.ID, r.Refs())
	})
}

// Get implements store.ResourceStore.
func (s *Store) Get(ctx context.Context, r store.Resource) error {
	kind, m := r.Kind(), r.GetMeta()
	id, t := m.ID, m.Tenant()
	return s.view(ctx, "get "+string(kind), func(tx Tx) error {
		v := tx.Bucket(BucketResources).Get(resourceKey(kind, id))
		if v == nil {
			return store.ErrNotFound
		}
		return decodeResource(v, &t, r)
	})
}

// GetMany implements store.ResourceStore, in one read transaction.
func (s *Store) GetMany(ctx context.Context, kind store.Kind, t store.Tenant, ids []string) ([]store.Resource, error) {
	var out []store.Resource
	err := s.view(ctx, "get many "+string(kind), func(tx Tx) error {
		out = out[:0]
		b := tx.Bucket(BucketResources)
		seen := make(map[string]bool, len(ids))
		for _, id := range ids {
			v := b.Get(resourceKey(kind, id))
			if v == nil || seen[id] {
				continue // missing, or asked twice: it comes back once
			}
			seen[id] = true
			r, err := store.NewResource(kind)
			if err != nil {
				return err
			}
			switch err := decodeResource(v, &t, r); {
			case errors.Is(err, store.ErrNotFound):
				continue // another tenant's
			case err != nil:
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// Lookup implements store.ResourceStore.
func (s *Store) Lookup(ctx context.Context, r store.Resource, uniqueKey string) error {
	kind := r.Kind()
	return s.view(ctx, "lookup "+string(kind), func(tx Tx) error {
		id := tx.Bucket(BucketResourceKeys).Get(newKey().str(string(kind)).str(uniqueKey))
		if id == nil {
			return store.ErrNotFound
		}
		v := tx.Bucket(BucketResources).Get(resourceKey(kind, string(id)))
		if v == nil {
			return errCorrupt
		}
		return decodeResource(v, nil, r)
	})
}

// Update implements store.ResourceStore. It sets r's CreatedAt to the
// stored one.
func (s *Store) Update(ctx context.Context, r store.Resource) error {
	kind, m := r.Kind(), r.GetMeta()
	return s.update(ctx, "update "+string(kind), func(tx Tx) error {
		res := tx.Bucket(BucketResources)
		rk := resourceKey(kind, m.ID)
		old, seq, err := loadResource(res, rk, kind, m.Tenant())
		if err != nil {
			return err
		}
		if err := releaseKeys(tx, kind, m.ID, old.UniqueKeys(), r.UniqueKeys()); err != nil {
			return err
		}
		if err := claimKeys(tx, kind, m.ID, r.UniqueKeys()); err != nil {
			return err
		}
		if err := checkRefs(tx, m.Tenant(), r.Refs()); err != nil {
			return err
		}
		if err := deleteRefs(tx, kind, m.ID, old.Refs()); err != nil {
			return err
		}
		if err := putRefs(tx, kind, m.ID, r.Refs()); err != nil {
			return err
		}
		m.CreatedAt = old.GetMeta().CreatedAt
		v, err := record(seq, r)
		if err != nil {
			return err
		}
		if c, ok := r.(*store.Connection); ok && c.Status != statusPaused {
			// Resuming releases the held deliveries in the same write.
			if _, err := releaseHeld(tx, c.ID, m.UpdatedAt); err != nil {
				return err
			}
		}
		return res.Put(rk, v)
	})
}

// Delete implements store.ResourceStore.
func (s *Store) Delete(ctx context.Context, kind store.Kind, t store.Tenant, id string) error {
	return s.update(ctx, "delete "+string(kind), func(tx Tx) error {
		return deleteResource(tx, kind, t, id)
	})
}

// deleteResource deletes the resource of the kind, tenant and ID with its
// keys, refs and list entries, unless others refer to it.
func deleteResource(tx Tx, kind store.Kind, t store.Tenant, id string) error {
	res := tx.Bucket(BucketResources)
	rk := resourceKey(kind, id)
	old, seq, err := loadResource(res, rk, kind, t)
	if err != nil {
		return err
	}
	referenced := false
	scan(tx.Bucket(BucketResourceRefs), rk, nil, func(_, _ []byte) bool {
		referenced = true
		return false
	})
	if referenced {
		return store.ErrConflict
	}
	if err := releaseKeys(tx, kind, id, old.UniqueKeys(), nil); err != nil {
		return err
	}
	if err := deleteRefs(tx, kind, id, old.Refs()); err != nil {
		return err
	}
	m := old.GetMeta()
	if err := tx.Bucket(BucketResourceList).Delete(listKey(kind, m, seq)); err != nil {
		return err
	}
	if err := tx.Bucket(BucketResourceOrg).Delete(orgKey(kind, m, seq)); err != nil {
		return err
	}
	return res.Delete(rk)
}

// List implements store.ResourceStore. It reads limit+1 resources at a
// time; when q.RefersTo rejects resources, the page may take more than one
// read, each continuing where the last stopped (a tenant's resources of a
// kind are few: configuration, not events).
func (s *Store) List(ctx context.Context, q store.ListQuery) (store.Page[store.Resource], error) {
	limit := q.Limit
	if limit < 1 {
		limit = 20
	}
	bucket, prefix := BucketResourceList, newKey().str(string(q.Kind)).str(q.Tenant.OrgID).str(q.Tenant.EnvID)
	if q.Tenant.EnvID == "" {
		bucket, prefix = BucketResourceOrg, newKey().str(string(q.Kind)).str(q.Tenant.OrgID)
	}
	op := "list " + string(q.Kind)
	after, err := decodeCursor(q.Cursor, prefix)
	if err != nil {
		return store.Page[store.Resource]{}, s.wrap(op, err)
	}
	var (
		page store.Page[store.Resource]
		last []byte // key of the last item of the page
	)
	for {
		var (
			rs   []store.Resource
			keys [][]byte
		)
		err := s.view(ctx, op, func(tx Tx) error {
			rs, keys = nil, nil
			res := tx.Bucket(BucketResources)
			var err error
			scan(tx.Bucket(bucket), prefix, after, func(k, id []byte) bool {
				var r store.Resource
				if r, err = store.NewResource(q.Kind); err != nil {
					return false
				}
				v := res.Get(resourceKey(q.Kind, string(id)))
				if v == nil {
					err = errCorrupt
					return false
				}
				if _, err = readRecord(v, r); err != nil {
					return false
				}
				keepNil(r)
				rs, keys = append(rs, r), append(keys, copyBytes(k))
				return len(rs) <= limit
			})
			return err
		})
		if err != nil {
			return store.Page[store.Resource]{}, err
		}
		for i, r := range rs {
			if !q.Matches(r) {
				continue
			}
			if len(page.Items) == limit {
				page.NextCursor = encodeCursor(last)
				return page, nil
			}
			page.Items, last = append(page.Items, r), keys[i]
		}
		if len(rs) <= limit {
			return page, nil
		}
		after = keys[len(keys)-1]
	}
}

// decodeResource fills r with the resource record v, or returns
// store.ErrNotFound when t is not nil and not the resource's tenant.
func decodeResource(v []byte, t *store.Tenant, r store.Resource) error {
	_, data, ok := readU64(v)
	if !ok {
		return errCorrupt
	}
	if t != nil {
		var m store.Meta
		if err := json.Unmarshal(data, &m); err != nil {
			return err
		}
		if m.Tenant() != *t {
			return store.ErrNotFound
		}
	}
	reflect.ValueOf(r).Elem().SetZero()
	if err := json.Unmarshal(data, r); err != nil {
		return err
	}
	keepNil(r)
	return nil
}

var rawMessageType = reflect.TypeFor[json.RawMessage]()

// keepNil sets the json.RawMessage fields of the resource that hold null
// back to nil: encoding/json writes a nil RawMessage as null but reads null
// into a RawMessage as the four bytes "null".
func keepNil(r store.Resource) {
	v := reflect.ValueOf(r).Elem()
	for i := range v.NumField() {
		if f := v.Field(i); f.Type() == rawMessageType && string(f.Bytes()) == "null" {
			f.SetBytes(nil)
		}
	}
}

// loadAnyResource returns the stored resource at rk, whatever its tenant,
// and its sequence number, or store.ErrNotFound.
func loadAnyResource(res Bucket, rk []byte, kind store.Kind) (store.Resource, uint64, error) {
	v := res.Get(rk)
	if v == nil {
		return nil, 0, store.ErrNotFound
	}
	r, err := store.NewResource(kind)
	if err != nil {
		return nil, 0, err
	}
	seq, err := readRecord(v, r)
	return r, seq, err
}

// loadResource returns the stored resource at rk and its sequence number,
// or store.ErrNotFound when there is none in tenant t.
func loadResource(res Bucket, rk []byte, kind store.Kind, t store.Tenant) (store.Resource, uint64, error) {
	r, seq, err := loadAnyResource(res, rk, kind)
	if err != nil {
		return nil, 0, err
	}
	if r.GetMeta().Tenant() != t {
		return nil, 0, store.ErrNotFound
	}
	return r, seq, nil
}

// claimKeys gives the unique keys to resource id, or returns
// store.ErrConflict when another resource holds one.
func claimKeys(tx Tx, kind store.Kind, id string, keys []string) error {
	b := tx.Bucket(BucketResourceKeys)
	for _, uk := range keys {
		k := newKey().str(string(kind)).str(uk)
		if holder := b.Get(k); holder != nil && string(holder) != id {
			return store.ErrConflict
		}
		if err := b.Put(k, []byte(id)); err != nil {
			return err
		}
	}
	return nil
}

// releaseKeys frees the keys of old that resource id holds and keep does
// not list.
func releaseKeys(tx Tx, kind store.Kind, id string, old, keep []string) error {
	b := tx.Bucket(BucketResourceKeys)
	for _, uk := range old {
		if slices.Contains(keep, uk) {
			continue
		}
		k := newKey().str(string(kind)).str(uk)
		if string(b.Get(k)) != id {
			continue
		}
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// checkRefs returns store.ErrNotFound when a ref does not exist in tenant t.
func checkRefs(tx Tx, t store.Tenant, refs []store.Ref) error {
	res := tx.Bucket(BucketResources)
	for _, ref := range refs {
		v := res.Get(resourceKey(ref.Kind, ref.ID))
		if v == nil {
			return store.ErrNotFound
		}
		var m store.Meta
		if _, err := readRecord(v, &m); err != nil {
			return err
		}
		if m.Tenant() != t {
			return store.ErrNotFound
		}
	}
	return nil
}

func refKey(ref store.Ref, kind store.Kind, id string) key {
	return resourceKey(ref.Kind, ref.ID).str(string(kind)).str(id)
}

func putRefs(tx Tx, kind store.Kind, id string, refs []store.Ref) error {
	b := tx.Bucket(BucketResourceRefs)
	for _, ref := range refs {
		if err := b.Put(refKey(ref, kind, id), mark); err != nil {
			return err
		}
	}
	return nil
}

func deleteRefs(tx Tx, kind store.Kind, id string, refs []store.Ref) error {
	b := tx.Bucket(BucketResourceRefs)
	for _, ref := range refs {
		if err := b.Delete(refKey(ref, kind, id)); err != nil {
			return err
		}
	}
	return nil
}

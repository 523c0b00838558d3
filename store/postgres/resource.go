package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/jackc/pgx/v5"
)

// table maps a resource kind onto its table: the columns beyond the
// common ones (id, org_id, env_id, created_at, data) that constraints and
// lookups need, and the unique keys and refs those columns stand for.
type table struct {
	name string
	// cols are the kind's own columns; values returns them for r.
	cols   []string
	values func(r store.Resource) []any
	// keys returns the unique keys the table's constraints enforce for r
	// (its ID's included), refs the references its foreign keys check:
	// Create and Update refuse a resource that claims others.
	keys func(r store.Resource) []string
	refs func(r store.Resource) []store.Ref
	// refCols name the column holding each kind of reference, for
	// ListQuery.RefersTo.
	refCols map[store.Kind]string
	// lookup returns the condition (with $1 and $2) and arguments that
	// find the resource holding a unique key other than an ID key.
	lookup func(uniqueKey string) (cond string, args []any, ok bool)
}

// statusPaused is a paused connection's status.
const statusPaused = "paused"

func slugTable(name string, slug func(store.Resource) string) *table {
	return &table{
		name:   name,
		cols:   []string{"slug"},
		values: func(r store.Resource) []any { return []any{text(slug(r))} },
		keys: func(r store.Resource) []string {
			m := r.GetMeta()
			keys := []string{store.IDKey(m.ID)}
			if s := slug(r); s != "" {
				keys = append(keys, store.SlugKey(m.Tenant(), s))
			}
			return keys
		},
		refs: func(store.Resource) []store.Ref { return nil },
		lookup: func(k string) (string, []any, bool) {
			rest, ok := strings.CutPrefix(k, "slug:")
			if !ok {
				return "", nil, false
			}
			// rest is org/env/slug, and an org ID may hold a slash: the
			// org is one of the prefixes of rest that end before one.
			return "org_id = ANY($1) AND slug <> '' AND org_id || '/' || env_id || '/' || slug = $2",
				[]any{prefixesBefore(rest, '/'), rest}, true
		},
	}
}

// prefixesBefore returns the prefixes of s that end before an occurrence
// of sep.
func prefixesBefore(s string, sep byte) []string {
	var ps []string
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			ps = append(ps, s[:i])
		}
	}
	return ps
}

var tables = map[store.Kind]*table{
	store.KindReplayJob:   replayJobsTable,
	store.KindSource:      slugTable("sources", func(r store.Resource) string { return r.(*store.Source).Slug }),
	store.KindDestination: slugTable("destinations", func(r store.Resource) string { return r.(*store.Destination).Slug }),
	store.KindTopic:       slugTable("topics", func(r store.Resource) string { return r.(*store.Topic).Slug }),
	store.KindEnvironment: slugTable("environments", func(r store.Resource) string { return r.(*store.Environment).Slug }),
	store.KindAPIKey: {
		name:   "api_keys",
		cols:   []string{"key_hash"},
		values: func(r store.Resource) []any { return []any{text(r.(*store.APIKey).KeyHash)} },
		keys: func(r store.Resource) []string {
			return []string{store.APIKeyHashKey(r.(*store.APIKey).KeyHash), store.IDKey(r.GetMeta().ID)}
		},
		refs: func(store.Resource) []store.Ref { return nil },
		lookup: func(k string) (string, []any, bool) {
			hash, ok := strings.CutPrefix(k, store.APIKeyHashKey(""))
			return "key_hash = $1", []any{hash}, ok
		},
	},
	store.KindConnection: {
		name:    "connections",
		cols:    []string{"source_id", "destination_id", "paused"},
		refCols: map[store.Kind]string{store.KindSource: "source_id", store.KindDestination: "destination_id"},
		values: func(r store.Resource) []any {
			c := r.(*store.Connection)
			return []any{text(c.SourceID), text(c.DestinationID), c.Status == statusPaused}
		},
		keys: func(r store.Resource) []string { return []string{store.IDKey(r.GetMeta().ID)} },
		refs: func(r store.Resource) []store.Ref {
			c := r.(*store.Connection)
			return []store.Ref{{Kind: store.KindSource, ID: c.SourceID}, {Kind: store.KindDestination, ID: c.DestinationID}}
		},
		lookup: func(string) (string, []any, bool) { return "", nil, false },
	},
	store.KindSubscription: {
		name:    "subscriptions",
		cols:    []string{"topic_id", "destination_id"},
		refCols: map[store.Kind]string{store.KindTopic: "topic_id", store.KindDestination: "destination_id"},
		values: func(r store.Resource) []any {
			s := r.(*store.Subscription)
			return []any{text(s.TopicID), text(s.DestinationID)}
		},
		keys: func(r store.Resource) []string {
			s := r.(*store.Subscription)
			return []string{"pair:" + s.TopicID + "/" + s.DestinationID, store.IDKey(s.ID)}
		},
		refs: func(r store.Resource) []store.Ref {
			s := r.(*store.Subscription)
			return []store.Ref{{Kind: store.KindTopic, ID: s.TopicID}, {Kind: store.KindDestination, ID: s.DestinationID}}
		},
		lookup: func(k string) (string, []any, bool) {
			rest, ok := strings.CutPrefix(k, "pair:")
			return "topic_id = ANY($1) AND topic_id || '/' || destination_id = $2", []any{prefixesBefore(rest, '/'), rest}, ok
		},
	},
}

// tableOf returns the table of the kind.
func tableOf(kind store.Kind) (*table, error) {
	t, ok := tables[kind]
	if !ok {
		return nil, fmt.Errorf("unknown kind %q", kind)
	}
	return t, nil
}

// checkShape refuses a resource whose unique keys or refs are not those
// the table's constraints enforce (a kind that changed without a
// migration).
func (t *table) checkShape(r store.Resource) error {
	keys := t.keys(r)
	for _, k := range r.UniqueKeys() {
		if !slices.Contains(keys, k) {
			return fmt.Errorf("unique key %q of a %s is not one the schema enforces", k, r.Kind())
		}
	}
	refs := t.refs(r)
	for _, ref := range r.Refs() {
		if !slices.Contains(refs, ref) {
			return fmt.Errorf("ref %v of a %s is not one the schema enforces", ref, r.Kind())
		}
	}
	return nil
}

// Create implements store.ResourceStore. The table's primary key and
// unique indexes refuse taken IDs and keys (store.ErrConflict), its
// foreign keys refs outside the tenant (store.ErrNotFound).
func (s *Store) Create(ctx context.Context, r store.Resource) error {
	op := "create " + string(r.Kind())
	if err := s.begin(ctx, op); err != nil {
		return err
	}
	t, err := tableOf(r.Kind())
	if err != nil {
		return s.wrap(op, err)
	}
	if err := t.checkShape(r); err != nil {
		return s.wrap(op, err)
	}
	data, err := json.Marshal(r)
	if err != nil {
		return s.wrap(op, err)
	}
	m := r.GetMeta()
	cols := append([]string{"id", "org_id", "env_id", "created_at", "data"}, t.cols...)
	args := append([]any{text(m.ID), text(m.OrgID), text(m.EnvID), m.CreatedAt, data}, t.values(r)...)
	q := "INSERT INTO {s}." + t.name + " (" + strings.Join(cols, ", ") + ") VALUES (" + placeholders(1, len(args)) + ")"
	_, err = s.pool.Exec(ctx, s.sql(q), args...)
	switch pgCode(err) {
	case codeUniqueViolation:
		err = store.ErrConflict
	case codeForeignKeyViolation:
		err = store.ErrNotFound
	}
	if err == nil {
		s.notifyConfig(ctx, r.Kind())
	}
	return s.wrap(op, err)
}

// placeholders returns "$from, ..., $(from+n-1)".
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(from+i))
	}
	return b.String()
}

// Get implements store.ResourceStore.
func (s *Store) Get(ctx context.Context, r store.Resource) error {
	op := "get " + string(r.Kind())
	if err := s.begin(ctx, op); err != nil {
		return err
	}
	t, err := tableOf(r.Kind())
	if err != nil {
		return s.wrap(op, err)
	}
	m := r.GetMeta()
	var data []byte
	err = s.pool.QueryRow(ctx, s.sql("SELECT data FROM {s}."+t.name+" WHERE id = $1 AND org_id = $2 AND env_id = $3"),
		m.ID, m.OrgID, m.EnvID).Scan(&data)
	if err == nil {
		err = decodeResource(data, r)
	}
	return s.wrap(op, notFound(err))
}

// GetMany implements store.ResourceStore: one statement on the primary
// key.
func (s *Store) GetMany(ctx context.Context, kind store.Kind, tn store.Tenant, ids []string) ([]store.Resource, error) {
	op := "get many " + string(kind)
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	t, err := tableOf(kind)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	rows, err := s.pool.Query(ctx, s.sql("SELECT id, data FROM {s}."+t.name+" WHERE org_id = $1 AND env_id = $2 AND id = ANY($3)"),
		tn.OrgID, tn.EnvID, ids)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	found := make(map[string]store.Resource, len(ids))
	for rows.Next() {
		var (
			id   string
			data []byte
		)
		if err := rows.Scan(&id, &data); err != nil {
			rows.Close()
			return nil, s.wrap(op, err)
		}
		r, err := store.NewResource(kind)
		if err == nil {
			err = decodeResource(data, r)
		}
		if err != nil {
			rows.Close()
			return nil, s.wrap(op, err)
		}
		found[id] = r
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(op, err)
	}
	out := make([]store.Resource, 0, len(found))
	for _, id := range ids {
		if r, ok := found[id]; ok {
			out = append(out, r)
			delete(found, id) // an ID asked twice comes back once
		}
	}
	return out, nil
}

// notFound maps pgx.ErrNoRows to store.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

// Lookup implements store.ResourceStore. Each kind of unique key is
// served by an index: the primary key, the slug, key hash or
// subscription pair index.
func (s *Store) Lookup(ctx context.Context, r store.Resource, uniqueKey string) error {
	op := "lookup " + string(r.Kind())
	if err := s.begin(ctx, op); err != nil {
		return err
	}
	t, err := tableOf(r.Kind())
	if err != nil {
		return s.wrap(op, err)
	}
	cond, args, ok := "id = $1", []any{strings.TrimPrefix(uniqueKey, store.IDKey(""))}, strings.HasPrefix(uniqueKey, store.IDKey(""))
	if !ok {
		cond, args, ok = t.lookup(uniqueKey)
	}
	if !ok {
		return s.wrap(op, store.ErrNotFound) // no resource of the kind holds such a key
	}
	var data []byte
	err = s.pool.QueryRow(ctx, s.sql("SELECT data FROM {s}."+t.name+" WHERE "+cond+" LIMIT 1"), args...).Scan(&data)
	if err == nil {
		err = decodeResource(data, r)
	}
	return s.wrap(op, notFound(err))
}

// Update implements store.ResourceStore. It sets r's CreatedAt to the
// stored one. Resuming a connection releases its held deliveries in the
// same transaction.
func (s *Store) Update(ctx context.Context, r store.Resource) error {
	op := "update " + string(r.Kind())
	if err := s.begin(ctx, op); err != nil {
		return err
	}
	t, err := tableOf(r.Kind())
	if err != nil {
		return s.wrap(op, err)
	}
	if err := t.checkShape(r); err != nil {
		return s.wrap(op, err)
	}
	m := r.GetMeta()
	released := int64(0)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var data []byte
		err := tx.QueryRow(ctx, s.sql("SELECT data FROM {s}."+t.name+" WHERE id = $1 AND org_id = $2 AND env_id = $3 FOR UPDATE"),
			m.ID, m.OrgID, m.EnvID).Scan(&data)
		if err != nil {
			return notFound(err)
		}
		var old store.Meta
		if err := json.Unmarshal(data, &old); err != nil {
			return err
		}
		m.CreatedAt = old.CreatedAt
		if data, err = json.Marshal(r); err != nil {
			return err
		}
		sets := []string{"data = $2"}
		for i, c := range t.cols {
			sets = append(sets, c+" = $"+strconv.Itoa(i+3))
		}
		args := append([]any{m.ID, data}, t.values(r)...)
		if _, err := tx.Exec(ctx, s.sql("UPDATE {s}."+t.name+" SET "+strings.Join(sets, ", ")+" WHERE id = $1"), args...); err != nil {
			return err
		}
		if c, ok := r.(*store.Connection); ok && c.Status != statusPaused {
			tag, err := tx.Exec(ctx, s.sql(releaseHeldSQL), c.ID, m.UpdatedAt)
			if err != nil {
				return err
			}
			released = tag.RowsAffected()
		}
		return nil
	})
	switch pgCode(err) {
	case codeUniqueViolation:
		err = store.ErrConflict
	case codeForeignKeyViolation:
		err = store.ErrNotFound
	}
	if err == nil {
		s.notifyConfig(ctx, r.Kind())
	}
	if err == nil && released > 0 {
		s.notify()
	}
	return s.wrap(op, err)
}

// Delete implements store.ResourceStore. The foreign keys of the tables
// that point to the resource refuse it while they do (store.ErrConflict).
func (s *Store) Delete(ctx context.Context, kind store.Kind, tn store.Tenant, id string) error {
	op := "delete " + string(kind)
	if err := s.begin(ctx, op); err != nil {
		return err
	}
	t, err := tableOf(kind)
	if err != nil {
		return s.wrap(op, err)
	}
	tag, err := s.pool.Exec(ctx, s.sql("DELETE FROM {s}."+t.name+" WHERE id = $1 AND org_id = $2 AND env_id = $3"), id, tn.OrgID, tn.EnvID)
	switch {
	case pgCode(err) == codeForeignKeyViolation:
		err = store.ErrConflict
	case err == nil && tag.RowsAffected() == 0:
		err = store.ErrNotFound
	case err == nil:
		s.notifyConfig(ctx, kind)
	}
	return s.wrap(op, err)
}

// List implements store.ResourceStore: a keyset scan of the kind's
// (org_id, env_id, created_at, seq) index, or (org_id, created_at, seq)
// for a whole organization, backwards; q.RefersTo becomes equalities on
// the reference columns, which their indexes serve (connections_source,
// connections_destination, the subscriptions' topic/destination pair).
func (s *Store) List(ctx context.Context, q store.ListQuery) (store.Page[store.Resource], error) {
	op := "list " + string(q.Kind)
	if err := s.begin(ctx, op); err != nil {
		return store.Page[store.Resource]{}, err
	}
	t, err := tableOf(q.Kind)
	if err != nil {
		return store.Page[store.Resource]{}, s.wrap(op, err)
	}
	limit := q.Limit
	if limit < 1 {
		limit = 20
	}
	after, err := decodeListCursor(q.Cursor, string(q.Kind))
	if err != nil {
		return store.Page[store.Resource]{}, s.wrap(op, err)
	}
	where, args := "org_id = $1", []any{q.Tenant.OrgID}
	if q.Tenant.EnvID != "" {
		where, args = where+" AND env_id = $2", append(args, q.Tenant.EnvID)
	}
	for _, ref := range q.RefersTo {
		col, ok := t.refCols[ref.Kind]
		if !ok {
			return store.Page[store.Resource]{}, nil // the kind points to no such resource
		}
		args = append(args, ref.ID)
		where += fmt.Sprintf(" AND %s = $%d", col, len(args))
	}
	var page store.Page[store.Resource]
	var last *listPos
	for {
		cond, cargs := where, args
		if after != nil {
			n := len(args)
			cond += fmt.Sprintf(" AND (created_at, seq) < ($%d, $%d)", n+1, n+2)
			cargs = append(slices.Clip(args), after.at, after.seq)
		}
		read := limit + 1
		rows, err := s.pool.Query(ctx, s.sql("SELECT data, created_at, seq FROM {s}."+t.name+" WHERE "+cond+
			" ORDER BY created_at DESC, seq DESC LIMIT "+strconv.Itoa(read)), cargs...)
		if err != nil {
			return store.Page[store.Resource]{}, s.wrap(op, err)
		}
		type item struct {
			r   store.Resource
			pos listPos
		}
		var items []item
		for rows.Next() {
			var (
				data []byte
				it   item
			)
			if err := rows.Scan(&data, &it.pos.at, &it.pos.seq); err != nil {
				rows.Close()
				return store.Page[store.Resource]{}, s.wrap(op, err)
			}
			if it.r, err = store.NewResource(q.Kind); err != nil {
				rows.Close()
				return store.Page[store.Resource]{}, s.wrap(op, err)
			}
			if err := decodeResource(data, it.r); err != nil {
				rows.Close()
				return store.Page[store.Resource]{}, s.wrap(op, err)
			}
			items = append(items, it)
		}
		if err := rows.Err(); err != nil {
			return store.Page[store.Resource]{}, s.wrap(op, err)
		}
		for _, it := range items {
			if len(page.Items) == limit {
				page.NextCursor = last.cursor(string(q.Kind))
				return page, nil
			}
			page.Items = append(page.Items, it.r)
			last = &it.pos
		}
		if len(items) < read {
			return page, nil
		}
		after = &items[len(items)-1].pos
	}
}

// listPos is a resource's place in a listing.
type listPos struct {
	at  time.Time
	seq int64
}

// cursor encodes the position after which the next page starts.
func (p *listPos) cursor(kind string) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "r1:%s:%d:%d", kind, p.at.UnixMicro(), p.seq))
}

// decodeListCursor decodes a cursor of cursor(kind); "" gives nil.
func decodeListCursor(c, kind string) (*listPos, error) {
	if c == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, store.ErrInvalidCursor
	}
	rest, ok := strings.CutPrefix(string(b), "r1:"+kind+":")
	at, seq, ok2 := strings.Cut(rest, ":")
	us, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(seq, 10, 64)
	if !ok || !ok2 || err1 != nil || err2 != nil {
		return nil, store.ErrInvalidCursor
	}
	return &listPos{at: time.UnixMicro(us).UTC(), seq: n}, nil
}

// decodeResource fills r, first zeroed, with the stored JSON data.
func decodeResource(data []byte, r store.Resource) error {
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

package hookstream

import (
	"context"
	"errors"
	"fmt"

	"github.com/hookstream-go/hookstream/store"
)

// ConnectionParams creates or updates a connection. SourceID,
// DestinationID and Name are required on create; SourceID and DestinationID
// cannot change on update. Nil fields keep their value (or default).
type ConnectionParams struct {
	SourceID      string  `json:"source_id" limit:"id=src"`
	DestinationID string  `json:"destination_id" limit:"id=dst"`
	Name          *string `json:"name" limit:"200"`
	Description   *string `json:"description" limit:"2000"`
	// FilterRules replaces the rules (an empty list removes them). All
	// rules must match (AND).
	FilterRules FilterRules `json:"filter_rules" limit:"50"`
	// Enabled defaults to true.
	Enabled *bool `json:"enabled"`
	// Status is active (default), paused (deliveries are held until it is
	// active again) or disabled (skipped).
	Status *Status `json:"status" limit:"64"`
	// TransformEnabled defaults to false; true needs TransformExpression.
	TransformEnabled    *bool   `json:"transform_enabled"`
	TransformExpression *string `json:"transform_expression" limit:"65536"`
}

// errEndsNotFound is the spec's answer for a connection whose source or
// destination is unknown in the tenant.
var errEndsNotFound = withMessage(ErrNotFound, "Source or destination not found")

// CreateConnection connects a source to a destination. An unknown source or
// destination (or one of another tenant) fails with ErrNotFound; invalid
// filter rules or a transform that does not compile with a
// *ValidationError.
func (r *Router) CreateConnection(ctx context.Context, p ConnectionParams) (_ *Connection, err error) {
	defer func() { err = forResource(err, "connection") }()
	if err := checkLimits(&p); err != nil {
		return nil, err
	}
	if err := required("source_id", p.SourceID); err != nil {
		return nil, err
	}
	if err := required("destination_id", p.DestinationID); err != nil {
		return nil, err
	}
	conn := &store.Connection{SourceID: p.SourceID, DestinationID: p.DestinationID, Enabled: true, Status: string(StatusActive)}
	if err := r.applyConnection(&p, conn); err != nil {
		return nil, err
	}
	if err := r.createResource(ctx, conn, prefixConnection); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, errEndsNotFound
		}
		return nil, fmt.Errorf("create connection: %w", err)
	}
	r.configChanged()
	return r.describeConnection(ctx, conn)
}

// GetConnection returns the connection with the given ID, or ErrNotFound.
func (r *Router) GetConnection(ctx context.Context, id string) (*Connection, error) {
	conn := new(store.Connection)
	if err := r.getResource(ctx, conn, id); err != nil {
		return nil, storeError(err, "Connection")
	}
	return r.describeConnection(ctx, conn)
}

// ListConnectionsParams selects a page of connections, optionally of one
// source or destination.
type ListConnectionsParams struct {
	ListParams
	SourceID      string
	DestinationID string
}

// ListConnections lists connections, newest first.
func (r *Router) ListConnections(ctx context.Context, p ListConnectionsParams) (Page[*Connection], error) {
	var refs []store.Ref
	if p.SourceID != "" {
		refs = append(refs, store.Ref{Kind: store.KindSource, ID: canonicalID(prefixSource, p.SourceID)})
	}
	if p.DestinationID != "" {
		refs = append(refs, store.Ref{Kind: store.KindDestination, ID: canonicalID(prefixDestination, p.DestinationID)})
	}
	page, err := listResources[*store.Connection](ctx, r, store.KindConnection, p.ListParams, refs...)
	if err != nil {
		return Page[*Connection]{}, fmt.Errorf("list connections: %w", err)
	}
	items, err := r.describeConnections(ctx, page.Items)
	if err != nil {
		return Page[*Connection]{}, fmt.Errorf("list connections: %w", err)
	}
	return Page[*Connection]{Items: items, NextCursor: page.NextCursor}, nil
}

// UpdateConnection changes the fields set in p. Resuming a paused
// connection releases the deliveries it held.
func (r *Router) UpdateConnection(ctx context.Context, id string, p ConnectionParams) (_ *Connection, err error) {
	defer func() { err = forResource(err, "connection") }()
	if err := checkLimits(&p); err != nil {
		return nil, err
	}
	conn := new(store.Connection)
	wasPaused := false
	err = r.updateResource(ctx, conn, id, func() error {
		if p.SourceID != "" && p.SourceID != conn.SourceID {
			return invalid("source_id", "cannot be changed")
		}
		if p.DestinationID != "" && p.DestinationID != conn.DestinationID {
			return invalid("destination_id", "cannot be changed")
		}
		wasPaused = Status(conn.Status) == StatusPaused
		return r.applyConnection(&p, conn)
	})
	if err != nil {
		return nil, fmt.Errorf("update connection: %w", storeError(err, "Connection"))
	}
	r.configChanged()
	if wasPaused && Status(conn.Status) != StatusPaused {
		if _, err := r.store.ReleaseHeld(ctx, conn.ID, r.now()); err != nil {
			return nil, fmt.Errorf("update connection: release held deliveries: %w", err)
		}
		r.wakeScheduler()
	}
	return r.describeConnection(ctx, conn)
}

// DeleteConnection deletes a connection. Deliveries it already queued are
// still made, those a paused connection held included.
func (r *Router) DeleteConnection(ctx context.Context, id string) error {
	if err := r.store.Delete(ctx, store.KindConnection, r.tenant(ctx), id); err != nil {
		return fmt.Errorf("delete connection: %w", storeError(err, "Connection"))
	}
	r.configChanged()
	if n, err := r.store.ReleaseHeld(ctx, id, r.now()); err != nil {
		return fmt.Errorf("delete connection: release held deliveries: %w", err)
	} else if n > 0 {
		r.wakeScheduler()
	}
	return nil
}

// describeConnection adds counters and the names of both ends.
func (r *Router) describeConnection(ctx context.Context, conn *store.Connection) (*Connection, error) {
	out, err := r.describeConnections(ctx, []*store.Connection{conn})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// describeConnections describes connections of one tenant in three store
// calls, whatever their number: their counters, and the names of their
// sources and destinations.
func (r *Router) describeConnections(ctx context.Context, conns []*store.Connection) ([]*Connection, error) {
	if len(conns) == 0 {
		return []*Connection{}, nil
	}
	ids, sources, destinations := make([]string, len(conns)), make([]string, len(conns)), make([]string, len(conns))
	for i, c := range conns {
		ids[i], sources[i], destinations[i] = c.ID, c.SourceID, c.DestinationID
	}
	counters, err := r.store.Counters(ctx, ids)
	if err != nil {
		return nil, err
	}
	t := conns[0].Tenant()
	sourceNames, err := resourceNames(ctx, r, store.KindSource, t, sources)
	if err != nil {
		return nil, err
	}
	destinationNames, err := resourceNames(ctx, r, store.KindDestination, t, destinations)
	if err != nil {
		return nil, err
	}
	out := make([]*Connection, len(conns))
	for i, c := range conns {
		out[i] = newConnection(c, counters[i], sourceNames[c.SourceID], destinationNames[c.DestinationID])
	}
	return out, nil
}

// applyConnection writes p into conn and validates the result.
func (r *Router) applyConnection(p *ConnectionParams, conn *store.Connection) (err error) {
	defer func() { err = forResource(err, "connection") }()
	if err := checkLimits(p); err != nil {
		return err
	}
	set(&conn.Name, p.Name)
	set(&conn.Description, p.Description)
	set(&conn.Enabled, p.Enabled)
	setString(&conn.Status, p.Status)
	set(&conn.TransformEnabled, p.TransformEnabled)
	set(&conn.TransformExpression, p.TransformExpression)
	if p.FilterRules != nil {
		raw, err := p.FilterRules.encode()
		if err != nil {
			return err
		}
		conn.FilterRules = raw
	}
	if err := required("name", conn.Name); err != nil {
		return err
	}
	if err := oneOf("status", conn.Status, StatusActive, StatusPaused, StatusDisabled); err != nil {
		return err
	}
	if conn.TransformEnabled && conn.TransformExpression == "" {
		return invalid("transform_expression", "is required when transform_enabled is true")
	}
	return r.checkTransform(conn.TransformExpression)
}

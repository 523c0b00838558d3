-- hookstream PostgreSQL schema, version 4: the trace context of an event
-- (store.Event.Traceparent), so that its deliveries' spans join the trace
-- that received it. Empty when no tracer provider was installed. Adding a
-- column with a constant default rewrites no rows.

ALTER TABLE {s}.events ADD COLUMN traceparent text NOT NULL DEFAULT '';

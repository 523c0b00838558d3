// Package postgres provides a store.Store in PostgreSQL, for gateways that
// run as several processes sharing one queue.
package postgres

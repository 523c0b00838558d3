// Package js reproduces the JavaScript behaviours JSONata's semantics depend on.
//
// The reference implementation of JSONata (jsonata-js) leans on the
// JavaScript runtime for number formatting (Number.prototype.toString,
// toPrecision, toFixed), string-to-number conversion, URI encoding and
// decoding, base64 (via Node's Buffer) and the string-based decimal shifting
// of $round. This package ports those behaviours to Go, operating on the
// UTF-16 view of strings where JavaScript does, so that results match the
// reference exactly.
//
// The package is dependency-free (standard library only), holds no mutable
// package-level state and never panics on any input.
package js

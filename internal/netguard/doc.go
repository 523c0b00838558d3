// Package netguard keeps webhook deliveries from reaching addresses they
// must not: loopback, private and link-local networks, cloud metadata
// services and other special-purpose ranges (server-side request forgery,
// spec §3.3).
//
// The check runs at dial time, in a net.Dialer's Control function, on the
// IP address actually being connected to, after DNS resolution. A hostname
// that resolves (or is rebound) to 127.0.0.1 is therefore refused exactly
// like the literal address; when a name resolves to several addresses each
// is checked as it is dialed, so blocked ones fail and public ones connect.
// Proxies are never taken from the environment, since a proxy would make
// the dial, and so the check, about the proxy instead of the destination.
//
// Blocked lists the ranges. Addresses are unmapped first (::ffff:127.0.0.1
// is 127.0.0.1), and IPv4 addresses embedded in the well-known NAT64 prefix
// 64:ff9b::/96 and in 6to4 (2002::/16) are checked as IPv4. Network-specific
// NAT64 prefixes cannot be recognised from the address alone; an operator
// who runs one should also block it at the network level.
//
// NewClient returns the shared, tuned *http.Client that deliveries use:
// guarded dials, no proxy, no redirects followed, keep-alive pools sized for
// concurrent delivery, and HTTP/2 when the receiver offers it.
package netguard

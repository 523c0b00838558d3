package hookstream

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// ID prefixes of spec §1.
const (
	prefixSource       = "src_"
	prefixDestination  = "dst_"
	prefixConnection   = "conn_"
	prefixEvent        = "evt_"
	prefixAttempt      = "da_"
	prefixDelivery     = "dlv_"
	prefixTopic        = "top_"
	prefixSubscription = "sub_"
	prefixAPIKey       = "ak_"
	prefixEnvironment  = "env_"
	prefixRequest      = "req_"
	prefixReplay       = "rpl_"
)

// newID returns prefix followed by 32 lowercase hex digits from crypto/rand,
// for resources. The IDs of events, attempts and deliveries, which are
// written at a high rate, are ordered instead (newOrderedID, at the wall
// clock), whichever of the two makes them.
func newID(prefix string) string {
	switch prefix {
	case prefixEvent, prefixAttempt, prefixDelivery:
		return newOrderedID(prefix, time.Now())
	}
	return prefix + randomHex(16)
}

// newOrderedID returns prefix followed by 32 lowercase hex digits: 48 bits
// of now in milliseconds since the Unix epoch (now's, or 0 before the
// epoch), 6 bits of the fraction of that millisecond (steps of 1/64 ms),
// then 74 random bits from crypto/rand. IDs made later sort after, to
// within 16 µs, so records keyed by them are appended at the end of the
// store's B+tree instead of all over it, which keeps a commit of many new
// records to few pages and leaves its pages full.
func newOrderedID(prefix string, now time.Time) string {
	var b [16]byte
	ns := max(now.UnixNano(), 0)
	ms, frac := uint64(ns/1e6), uint64(ns%1e6)*64/1e6
	rand.Read(b[6:]) // never fails (crypto/rand panics on an unusable source)
	binary.BigEndian.PutUint64(b[:8], ms<<16|frac<<10|binary.BigEndian.Uint64(b[:8])&(1<<10-1))
	return prefix + hex.EncodeToString(b[:])
}

// canonicalID returns an ID in its prefixed form: the bare 32 hex digits
// of an ID (the form hookstream's documents show in paths) get prefix;
// anything else is returned unchanged.
func canonicalID(prefix, id string) string {
	if isHex32(id) {
		return prefix + id
	}
	return id
}

// isHex32 reports whether s is 32 lowercase hex digits.
func isHex32(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := range len(s) {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// randomHex returns n random bytes as lowercase hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand panics on an unusable source)
	return hex.EncodeToString(b)
}

// parsePrefix parses an IP address or CIDR into a prefix (an address is a
// prefix of its full length). IPv4-mapped IPv6 forms (::ffff:192.0.2.0/120)
// become IPv4, as client addresses do before they are matched.
func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR", s)
		}
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

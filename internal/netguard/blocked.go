package netguard

import (
	"errors"
	"net/netip"
	"syscall"
)

// ErrBlocked is the error every refused connection matches with errors.Is.
// The error itself is a *BlockedError, which says what was refused and why.
var ErrBlocked = errors.New("netguard: address blocked")

// BlockedError is the error of a refused connection.
type BlockedError struct {
	// Addr is the IP address that was refused, as it was dialed (so
	// "::ffff:10.0.0.1" stays in its mapped form), or the dialed address as
	// given when it is not an IP address.
	Addr string
	// Reason names the range the address is in, e.g. "loopback address".
	Reason string
}

// Error returns a message such as "netguard: refusing to connect to
// 127.0.0.1 (loopback address)".
func (e *BlockedError) Error() string {
	return "netguard: refusing to connect to " + e.Addr + " (" + e.Reason + ")"
}

// Unwrap returns ErrBlocked, so errors.Is(err, ErrBlocked) holds.
func (e *BlockedError) Unwrap() error { return ErrBlocked }

type rule struct {
	prefix netip.Prefix
	reason string
}

func rules(pairs ...string) []rule {
	rs := make([]rule, 0, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		rs = append(rs, rule{netip.MustParsePrefix(pairs[i]), pairs[i+1]})
	}
	return rs
}

// The first matching rule gives the reason, so narrower ranges come before
// the ranges that contain them.
var (
	rules4 = rules(
		"0.0.0.0/32", "unspecified address",
		"0.0.0.0/8", "this-network address",
		"10.0.0.0/8", "private address",
		"100.100.100.200/32", "cloud metadata address", // Alibaba Cloud
		"100.64.0.0/10", "carrier-grade NAT address",
		"127.0.0.0/8", "loopback address",
		"169.254.169.254/32", "cloud metadata address", // AWS, GCP, Azure, ...
		"169.254.0.0/16", "link-local address",
		"172.16.0.0/12", "private address",
		"192.0.0.192/32", "cloud metadata address", // Oracle Cloud
		"192.0.0.0/24", "IETF protocol assignment address",
		"192.0.2.0/24", "documentation address",
		"192.88.99.0/24", "6to4 relay anycast address",
		"192.168.0.0/16", "private address",
		"198.18.0.0/15", "benchmarking address",
		"198.51.100.0/24", "documentation address",
		"203.0.113.0/24", "documentation address",
		"224.0.0.0/4", "multicast address",
		"255.255.255.255/32", "broadcast address",
		"240.0.0.0/4", "reserved address",
	)
	rules6 = rules(
		"::/128", "unspecified address",
		"::1/128", "loopback address",
		"fd00:ec2::254/128", "cloud metadata address", // AWS
		"64:ff9b:1::/48", "local-use NAT64 address",
		"fc00::/7", "private address (unique local)",
		"fe80::/10", "link-local address",
		"fec0::/10", "site-local address",
		"ff00::/8", "multicast address",
		"100::/64", "discard-only address",
		"2001::/32", "Teredo address",
		"2001:2::/48", "benchmarking address",
		"2001:10::/28", "ORCHID address",
		"2001:20::/28", "ORCHID address",
		"2001:db8::/32", "documentation address",
		"3fff::/20", "documentation address",
	)
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
	global6   = netip.MustParsePrefix("2000::/3")
)

// Blocked reports whether deliveries must not connect to ip, and why (e.g.
// "loopback address"). Blocked are: unspecified, this-network (0/8),
// loopback, private (RFC 1918, IPv6 unique local fc00::/7), link-local
// (169.254/16, fe80::/10), carrier-grade NAT (100.64/10), multicast,
// broadcast, reserved (240/4), benchmarking (198.18/15, 2001:2::/48),
// documentation (192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32,
// 3fff::/20), IETF protocol assignments (192.0.0/24), cloud metadata
// (169.254.169.254, fd00:ec2::254, 100.100.100.200, 192.0.0.192), Teredo,
// ORCHID, site-local and discard-only IPv6, local-use NAT64
// (64:ff9b:1::/48), every IPv6 address outside global unicast 2000::/3
// other than well-known NAT64, and the IPv4-mapped, NAT64 (64:ff9b::/96)
// and 6to4 (2002::/16) forms of every blocked IPv4 address. The zero Addr
// is blocked as invalid. A zone is ignored.
func Blocked(ip netip.Addr) (reason string, blocked bool) {
	if !ip.IsValid() {
		return "invalid address", true
	}
	ip = ip.WithZone("").Unmap()
	if ip.Is4() {
		return match(rules4, ip)
	}
	if r, ok := match(rules6, ip); ok {
		return r, true
	}
	b := ip.As16()
	switch {
	case nat64.Contains(ip):
		if r, ok := match(rules4, netip.AddrFrom4([4]byte(b[12:16]))); ok {
			return r + " via NAT64", true
		}
		return "", false
	case sixToFour.Contains(ip):
		if r, ok := match(rules4, netip.AddrFrom4([4]byte(b[2:6]))); ok {
			return r + " via 6to4", true
		}
		return "", false
	case !global6.Contains(ip):
		return "reserved IPv6 address", true
	}
	return "", false
}

func match(rs []rule, ip netip.Addr) (string, bool) {
	for _, r := range rs {
		if r.prefix.Contains(ip) {
			return r.reason, true
		}
	}
	return "", false
}

// Check returns a *BlockedError if deliveries must not connect to address,
// an "ip:port" (or bare IP) as a dialer gives it, and nil otherwise. An
// address that is not an IP address is refused.
func Check(address string) error {
	ip, err := parseIP(address)
	if err != nil {
		return &BlockedError{Addr: address, Reason: "not an IP address"}
	}
	if reason, blocked := Blocked(ip); blocked {
		return &BlockedError{Addr: ip.String(), Reason: reason}
	}
	return nil
}

func parseIP(address string) (netip.Addr, error) {
	if ap, err := netip.ParseAddrPort(address); err == nil {
		return ap.Addr(), nil
	}
	return netip.ParseAddr(address)
}

// Control returns a function for net.Dialer.Control that refuses, with a
// *BlockedError, connections to the addresses Blocked reports, whatever the
// network. The dialer calls it with the resolved IP address about to be
// connected to, so DNS rebinding cannot get around it. With allowPrivate
// true the function allows everything.
func Control(allowPrivate bool) func(network, address string, c syscall.RawConn) error {
	if allowPrivate {
		return func(string, string, syscall.RawConn) error { return nil }
	}
	return func(_, address string, _ syscall.RawConn) error { return Check(address) }
}

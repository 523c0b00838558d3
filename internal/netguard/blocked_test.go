package netguard

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestBlocked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr   string
		reason string // "" means allowed
	}{
		// IPv4 special ranges, at their edges.
		{"0.0.0.0", "unspecified address"},
		{"0.1.2.3", "this-network address"},
		{"0.255.255.255", "this-network address"},
		{"10.0.0.0", "private address"},
		{"10.255.255.255", "private address"},
		{"172.16.0.1", "private address"},
		{"172.31.255.255", "private address"},
		{"192.168.0.1", "private address"},
		{"192.168.255.255", "private address"},
		{"100.64.0.0", "carrier-grade NAT address"},
		{"100.127.255.255", "carrier-grade NAT address"},
		{"100.100.100.200", "cloud metadata address"},
		{"127.0.0.1", "loopback address"},
		{"127.255.255.254", "loopback address"},
		{"169.254.0.1", "link-local address"},
		{"169.254.170.2", "link-local address"},
		{"169.254.169.254", "cloud metadata address"},
		{"192.0.0.8", "IETF protocol assignment address"},
		{"192.0.0.170", "IETF protocol assignment address"},
		{"192.0.0.192", "cloud metadata address"},
		{"192.0.2.1", "documentation address"},
		{"198.51.100.7", "documentation address"},
		{"203.0.113.255", "documentation address"},
		{"192.88.99.1", "6to4 relay anycast address"},
		{"198.18.0.0", "benchmarking address"},
		{"198.19.255.255", "benchmarking address"},
		{"224.0.0.1", "multicast address"},
		{"239.255.255.250", "multicast address"},
		{"240.0.0.1", "reserved address"},
		{"255.255.255.254", "reserved address"},
		{"255.255.255.255", "broadcast address"},

		// IPv6 special ranges.
		{"::", "unspecified address"},
		{"::1", "loopback address"},
		{"fc00::1", "private address (unique local)"},
		{"fdff:ffff::1", "private address (unique local)"},
		{"fd00:ec2::254", "cloud metadata address"},
		{"fe80::1", "link-local address"},
		{"febf:ffff::1", "link-local address"},
		{"fe80::1%eth0", "link-local address"},
		{"fec0::1", "site-local address"},
		{"ff02::1", "multicast address"},
		{"ff0e::101", "multicast address"},
		{"100::1", "discard-only address"},
		{"2001:db8::1", "documentation address"},
		{"3fff::1", "documentation address"},
		{"2001:2::1", "benchmarking address"},
		{"2001::1", "Teredo address"},
		{"2001:10::1", "ORCHID address"},
		{"2001:20::1", "ORCHID address"},
		{"64:ff9b:1::a00:1", "local-use NAT64 address"},
		{"::2", "reserved IPv6 address"},
		{"::127.0.0.1", "reserved IPv6 address"},     // IPv4-compatible (deprecated)
		{"::ffff:0:7f00:1", "reserved IPv6 address"}, // IPv4-translated (SIIT)
		{"4000::1", "reserved IPv6 address"},
		{"e000::1", "reserved IPv6 address"},

		// IPv4-mapped IPv6 forms.
		{"::ffff:127.0.0.1", "loopback address"},
		{"::ffff:7f00:1", "loopback address"},
		{"::ffff:10.1.2.3", "private address"},
		{"::ffff:169.254.169.254", "cloud metadata address"},
		{"::ffff:100.64.0.1", "carrier-grade NAT address"},
		{"::ffff:0.0.0.0", "unspecified address"},
		{"::ffff:255.255.255.255", "broadcast address"},
		{"::ffff:198.18.0.1", "benchmarking address"},

		// NAT64 (64:ff9b::/96) and 6to4 (2002::/16) embedding blocked IPv4.
		{"64:ff9b::127.0.0.1", "loopback address via NAT64"},
		{"64:ff9b::a9fe:a9fe", "cloud metadata address via NAT64"},
		{"64:ff9b::192.168.1.1", "private address via NAT64"},
		{"64:ff9b::0.0.0.0", "unspecified address via NAT64"},
		{"2002:7f00:1::1", "loopback address via 6to4"},
		{"2002:a00:1::", "private address via 6to4"},
		{"2002:a9fe:a9fe::1", "cloud metadata address via 6to4"},

		// Public addresses, including the neighbours of blocked ranges.
		{"8.8.8.8", ""},
		{"1.1.1.1", ""},
		{"93.184.215.14", ""},
		{"1.0.0.0", ""},
		{"9.255.255.255", ""},
		{"11.0.0.0", ""},
		{"100.63.255.255", ""},
		{"100.128.0.0", ""},
		{"126.255.255.255", ""},
		{"128.0.0.0", ""},
		{"169.253.255.255", ""},
		{"169.255.0.0", ""},
		{"172.15.255.255", ""},
		{"172.32.0.0", ""},
		{"192.0.1.0", ""},
		{"192.167.255.255", ""},
		{"192.169.0.0", ""},
		{"198.17.255.255", ""},
		{"198.20.0.0", ""},
		{"223.255.255.255", ""},
		{"2606:4700:4700::1111", ""},
		{"2001:4860:4860::8888", ""},
		{"2a00:1450:4001:80b::200e", ""},
		{"2001:1::1", ""},
		{"::ffff:8.8.8.8", ""},
		{"64:ff9b::808:808", ""},
		{"2002:808:808::1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			t.Parallel()
			ip := netip.MustParseAddr(tt.addr)
			reason, blocked := Blocked(ip)
			if blocked != (tt.reason != "") || reason != tt.reason {
				t.Errorf("Blocked(%s) = %q, %v; want %q, %v", tt.addr, reason, blocked, tt.reason, tt.reason != "")
			}
		})
	}
}

func TestBlocked_Invalid(t *testing.T) {
	t.Parallel()
	if reason, blocked := Blocked(netip.Addr{}); !blocked || reason != "invalid address" {
		t.Errorf("Blocked(zero Addr) = %q, %v; want invalid address, true", reason, blocked)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		address string
		wantMsg string // "" means allowed
	}{
		{"127.0.0.1:8080", "netguard: refusing to connect to 127.0.0.1 (loopback address)"},
		{"[::1]:443", "netguard: refusing to connect to ::1 (loopback address)"},
		{"[::ffff:169.254.169.254]:80", "netguard: refusing to connect to ::ffff:169.254.169.254 (cloud metadata address)"},
		{"[fe80::1%eth0]:80", "netguard: refusing to connect to fe80::1%eth0 (link-local address)"},
		{"10.0.0.1", "netguard: refusing to connect to 10.0.0.1 (private address)"},
		{"localhost:80", `netguard: refusing to connect to localhost:80 (not an IP address)`},
		{"", `netguard: refusing to connect to  (not an IP address)`},
		{"/tmp/socket", `netguard: refusing to connect to /tmp/socket (not an IP address)`},
		{"8.8.8.8:53", ""},
		{"[2606:4700:4700::1111]:443", ""},
		{"1.1.1.1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.address, func(t *testing.T) {
			t.Parallel()
			err := Check(tt.address)
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("Check(%q) = %v, want nil", tt.address, err)
				}
				if err := Control(false)("tcp", tt.address, nil); err != nil {
					t.Fatalf("Control(false)(%q) = %v, want nil", tt.address, err)
				}
				return
			}
			if !errors.Is(err, ErrBlocked) {
				t.Fatalf("Check(%q) = %v, want ErrBlocked", tt.address, err)
			}
			var be *BlockedError
			if !errors.As(err, &be) || err.Error() != tt.wantMsg {
				t.Errorf("Check(%q) = %q, want %q", tt.address, err, tt.wantMsg)
			}
			if err := Control(false)("tcp4", tt.address, nil); !errors.Is(err, ErrBlocked) {
				t.Errorf("Control(false)(%q) = %v, want ErrBlocked", tt.address, err)
			}
			if err := Control(true)("tcp4", tt.address, nil); err != nil {
				t.Errorf("Control(true)(%q) = %v, want nil", tt.address, err)
			}
		})
	}
}

func FuzzBlocked(f *testing.F) {
	for _, s := range []string{"::1", "::ffff:127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::", "fe80::1",
		"2606:4700:4700::1111", "::ffff:8.8.8.8", "fd00:ec2::254", "::"} {
		b := netip.MustParseAddr(s).As16()
		f.Add(b[:])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var a [16]byte
		copy(a[:], b)
		ip := netip.AddrFrom16(a)
		reason, blocked := Blocked(ip)
		if blocked == (reason == "") {
			t.Fatalf("Blocked(%s) = %q, %v: a reason exactly when blocked", ip, reason, blocked)
		}
		// The IPv4 and IPv4-mapped forms agree.
		if ip.Is4In6() {
			r4, b4 := Blocked(ip.Unmap())
			if r4 != reason || b4 != blocked {
				t.Fatalf("Blocked(%s) = %q, %v but Blocked(%s) = %q, %v", ip, reason, blocked, ip.Unmap(), r4, b4)
			}
		}
		// A zone changes nothing.
		if rz, bz := Blocked(ip.WithZone("eth0")); rz != reason || bz != blocked {
			t.Fatalf("Blocked(%s%%eth0) = %q, %v, want %q, %v", ip, rz, bz, reason, blocked)
		}
		// What passes is global unicast and not private by the standard
		// library's account too.
		if u := ip.Unmap(); !blocked && (!u.IsGlobalUnicast() || u.IsPrivate()) {
			t.Fatalf("Blocked(%s) = false for a non-global address", ip)
		}
		// Check agrees with Blocked on the dialed form.
		if err := Check(netip.AddrPortFrom(ip, 443).String()); (err != nil) != blocked ||
			(err != nil && !strings.HasSuffix(err.Error(), "("+reason+")")) {
			t.Fatalf("Check(%s) = %v, Blocked = %q, %v", ip, err, reason, blocked)
		}
	})
}

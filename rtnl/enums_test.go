package rtnl

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestScopeValuesAndNamesMatchTheKernelAndIproute2(t *testing.T) {
	for _, c := range []struct {
		s    Scope
		k    int
		name string
	}{
		{ScopeUniverse, unix.RT_SCOPE_UNIVERSE, "global"},
		{ScopeSite, unix.RT_SCOPE_SITE, "site"},
		{ScopeLink, unix.RT_SCOPE_LINK, "link"},
		{ScopeHost, unix.RT_SCOPE_HOST, "host"},
		{ScopeNowhere, unix.RT_SCOPE_NOWHERE, "nowhere"},
		{Scope(100), 100, "100"},
	} {
		if int(c.s) != c.k || c.s.String() != c.name {
			t.Errorf("scope %d: value %d name %q, want %d %q", c.s, int(c.s), c.s.String(), c.k, c.name)
		}
	}
}

func TestFamilyNamesAreIproute2s(t *testing.T) {
	for f, name := range map[Family]string{FamilyIPv4: "inet", FamilyIPv6: "inet6", FamilyBridge: "bridge", FamilyUnspec: "unspec", FamilyMPLS: "mpls", 99: "99"} {
		if f.String() != name {
			t.Errorf("Family(%d).String() = %q, want %q", f, f.String(), name)
		}
	}
}

package nlmsg

import "testing"

// TestTypeNameUnknown: a type TypeName does not know reads as its number,
// and a family's name never leaks into another family.
func TestTypeNameUnknown(t *testing.T) {
	cases := []struct {
		f    Family
		t    Type
		want string
	}{
		{FamilyRoute, 23, "23"},               // a gap in rtnetlink's table
		{FamilyRoute, 0x7b, "123"},            // past RTM_MAX
		{FamilyGeneric, 0x18, "24"},           // a generic family's run-time id
		{FamilyGeneric, 0x10, "GENL_ID_CTRL"}, // ...but the controller is fixed
		{FamilyRoute, 0x10, "RTM_NEWLINK"},    // the same number on route
		{FamilySockDiag, 24, "24"},
		{FamilyNetfilter, 0xff00, "65280"}, // no such subsystem
		{FamilyNetfilter, 0x0109, "NFNL_SUBSYS_CTNETLINK/9"},
		{FamilyAudit, 1000, "1000"},         // a family TypeName does not name
		{FamilyAudit, Error, "NLMSG_ERROR"}, // control types everywhere
	}
	for _, c := range cases {
		if got := TypeName(c.f, c.t); got != c.want {
			t.Errorf("TypeName(%v, %d) = %q, want %q", c.f, c.t, got, c.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = TypeName(FamilyRoute, 24) }); n != 0 {
		t.Errorf("TypeName of a known type allocates %v times", n)
	}
}

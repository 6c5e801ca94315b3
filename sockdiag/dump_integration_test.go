package sockdiag_test

import (
	"reflect"
	"testing"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/sockdiag"
)

// TestIntegrationListsOwnTheirSlices lists the unix, netlink and packet
// sockets of the fixtures and then runs each family's iterator over them
// to the end, and lists them again: the listed values (their Pending, Groups, Memberships and
// Filter among them) are what they were before, and no two listed sockets
// share a slice.
func TestIntegrationListsOwnTheirSlices(t *testing.T) {
	ns := netnstest.New(t)
	unixFixture(t, ns)
	netlinkFixture(t, ns)
	packetFixture(t, ns)
	c := dial(t, ns)
	ctx := testCtx(t)
	us, err := sockdiag.ListUnix(ctx, c, sockdiag.UnixRequest{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ns2, err := sockdiag.ListNetlink(ctx, c, sockdiag.NetlinkRequest{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := sockdiag.ListPacket(ctx, c, sockdiag.PacketRequest{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	before := deepCopy(t, us, ns2, ps)
	for _, err := range sockdiag.DumpUnix(ctx, c, sockdiag.UnixRequest{}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, err := range sockdiag.DumpNetlink(ctx, c, sockdiag.NetlinkRequest{}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, err := range sockdiag.DumpPacket(ctx, c, sockdiag.PacketRequest{}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Lists again, whose values are decoded into the pooled blocks the
	// first lists were.
	_, err1 := sockdiag.ListUnix(ctx, c, sockdiag.UnixRequest{}, nil)
	_, err2 := sockdiag.ListNetlink(ctx, c, sockdiag.NetlinkRequest{}, nil)
	_, err3 := sockdiag.ListPacket(ctx, c, sockdiag.PacketRequest{}, nil)
	if err1 != nil || err2 != nil || err3 != nil {
		t.Fatal(err1, err2, err3)
	}
	if after := deepCopy(t, us, ns2, ps); !reflect.DeepEqual(before, after) {
		t.Error("the listed sockets changed under later dumps")
	}
	seen := map[any]string{}
	own := func(what string, first any) {
		if other, ok := seen[first]; ok {
			t.Errorf("%s shares its slice with %s", what, other)
		}
		seen[first] = what
	}
	lists := 0
	for i := range us {
		if len(us[i].Pending) > 0 {
			own("unix "+us[i].Path(), &us[i].Pending[0])
			lists++
		}
	}
	for i := range ns2 {
		if len(ns2[i].Groups) > 0 {
			own("netlink "+ns2[i].Protocol.String(), &ns2[i].Groups[0])
			lists++
		}
	}
	for i := range ps {
		if len(ps[i].Memberships) > 0 {
			own("packet memberships", &ps[i].Memberships[0])
			lists++
		}
		if len(ps[i].Filter) > 0 {
			own("packet filter", &ps[i].Filter[0])
			lists++
		}
	}
	if lists < 5 {
		t.Errorf("only %d listed sockets have slices; the fixtures make more", lists)
	}
}

// deepCopy returns copies of the lists that share no memory with them.
func deepCopy(t *testing.T, lists ...any) []any {
	t.Helper()
	var out []any
	for _, l := range lists {
		v := reflect.ValueOf(l)
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.Index(i))
			for j := range e.NumField() {
				if f := e.Field(j); f.Kind() == reflect.Slice && f.CanSet() && !f.IsNil() {
					f.Set(reflect.AppendSlice(reflect.MakeSlice(f.Type(), 0, f.Len()), f))
				}
			}
			c.Index(i).Set(e)
		}
		out = append(out, c.Interface())
	}
	return out
}

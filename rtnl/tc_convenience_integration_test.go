package rtnl

import (
	"testing"
	"time"

	"github.com/nlengine/nlengine/internal/netnstest"
)

// TestIntegrationPackageTCFunctionsWorkInTheCallersNamespace writes what
// the CNI bandwidth plugin writes (a tbf on the host end of a veth) and an
// htb class with the package-level functions, from a thread inside the
// namespace, and reads them back.
func TestIntegrationPackageTCFunctionsWorkInTheCallersNamespace(t *testing.T) {
	ns := netnstest.New(t)
	ns.AddVeth(t, "tcv0", "tcv1")
	v0, v1 := ns.LinkIndex(t, "tcv0"), ns.LinkIndex(t, "tcv1")
	var qs []Qdisc
	var cls []Class
	err := ns.Do(func() error {
		tbf := Qdisc{LinkIndex: v0, Parent: HandleRoot, Handle: NewHandle(1, 0), Kind: "tbf",
			TBF: TBFQdisc{Rate: 10 * mbitps, Burst: 256 * 1024, Latency: 25 * time.Millisecond}}
		if err := QdiscAdd(bg, &tbf); err != nil {
			return err
		}
		if err := QdiscReplace(bg, &Qdisc{LinkIndex: v1, Parent: HandleRoot, Handle: NewHandle(2, 0), Kind: "htb"}); err != nil {
			return err
		}
		if err := ClassAdd(bg, &Class{LinkIndex: v1, Parent: NewHandle(2, 0), Handle: NewHandle(2, 1), Kind: "htb", HTB: HTBClass{Rate: mbitps}}); err != nil {
			return err
		}
		var err error
		if qs, err = QdiscList(bg, QdiscFilter{LinkIndex: v0}); err != nil {
			return err
		}
		if cls, err = ClassList(bg, ClassFilter{LinkIndex: v1}); err != nil {
			return err
		}
		if err := ClassDel(bg, &cls[0]); err != nil {
			return err
		}
		return QdiscDel(bg, &Qdisc{LinkIndex: v1, Parent: HandleRoot})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) != 1 || qs[0].TBF.Rate != 10*mbitps || qs[0].TBF.Latency != 25*time.Millisecond {
		t.Errorf("QdiscList: %+v", qs)
	}
	if len(cls) != 1 || cls[0].HTB.Rate != mbitps {
		t.Errorf("ClassList: %+v", cls)
	}
	if q := tcJSON(t, ns, "qdisc", "show", "dev", "tcv1"); len(q) != 1 || q[0]["kind"] != "noqueue" {
		t.Errorf("tcv1 after QdiscDel: %v", q)
	}
}

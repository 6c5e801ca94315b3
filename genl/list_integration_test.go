package genl

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/nlmsg"
)

// genlFamily is a family as `genl ctrl list` prints it.
type genlFamily struct {
	name                      string
	id, version, hdr, maxAttr uint64
	ops                       []genlOp
	groups                    []Group
}

type genlOp struct {
	id       uint64
	flags    uint64
	hasFlags bool   // genl prints capabilities only for families of version 2 and up
	words    string // the words after the capabilities line, as printed
}

var (
	reFamily = regexp.MustCompile(`^\s*ID: 0x([0-9a-f]+)\s+Version: 0x([0-9a-f]+)\s+header size: (\d+)\s+max attribs: (\d+)`)
	reOp     = regexp.MustCompile(`^\s*#\d+:\s+ID-0x([0-9a-f]+)\s*$`)
	reCaps   = regexp.MustCompile(`^\s*Capabilities \(0x([0-9a-f]+)\):`)
	reGroup  = regexp.MustCompile(`^\s*#\d+:\s+ID-0x([0-9a-f]+)\s+name: (\S+)\s*$`)
)

// parseGenlCtrlList parses the text of `genl ctrl list` (iproute2's
// genl/ctrl.c format).
func parseGenlCtrlList(t *testing.T, out string) []genlFamily {
	t.Helper()
	var fams []genlFamily
	var cur *genlFamily
	section := ""
	lines := strings.Split(out, "\n")
	hex := func(s string) uint64 { v, _ := strconv.ParseUint(s, 16, 64); return v }
	dec := func(s string) uint64 { v, _ := strconv.ParseUint(s, 10, 64); return v }
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case strings.HasPrefix(l, "Name: "):
			fams = append(fams, genlFamily{name: strings.TrimSpace(strings.TrimPrefix(l, "Name: "))})
			cur, section = &fams[len(fams)-1], ""
		case cur == nil:
		case reFamily.MatchString(l):
			m := reFamily.FindStringSubmatch(l)
			cur.id, cur.version, cur.hdr, cur.maxAttr = hex(m[1]), hex(m[2]), dec(m[3]), dec(m[4])
		case strings.Contains(l, "commands supported:"):
			section = "ops"
		case strings.Contains(l, "multicast groups:"):
			section = "groups"
		case section == "ops" && reOp.MatchString(l):
			cur.ops = append(cur.ops, genlOp{id: hex(reOp.FindStringSubmatch(l)[1])})
		case section == "ops" && reCaps.MatchString(l):
			op := &cur.ops[len(cur.ops)-1]
			op.flags, op.hasFlags = hex(reCaps.FindStringSubmatch(l)[1]), true
			if op.flags != 0 && i+1 < len(lines) {
				op.words = strings.TrimSpace(lines[i+1])
				i++
			}
		case section == "groups" && reGroup.MatchString(l):
			m := reGroup.FindStringSubmatch(l)
			cur.groups = append(cur.groups, Group{ID: uint32(hex(m[1])), Name: m[2]})
		}
	}
	return fams
}

// genlWords is OpFlags.String in genl's punctuation: every word followed
// by ";" except "has policy" ("can doit; can dumpit; has policy",
// "requires admin permission; can doit;"). genl does not print
// GENL_UNS_ADMIN_PERM.
func genlWords(f OpFlags) string {
	var words []string
	for _, w := range strings.Split((f &^ OpFlags(nlmsg.GenlUnsAdminPerm)).String(), "; ") {
		switch w {
		case "":
		case "has policy":
			words = append(words, w)
		default:
			words = append(words, w+";")
		}
	}
	return strings.Join(words, " ")
}

func TestIntegrationFamiliesMatchGenlCtrlList(t *testing.T) {
	c, ns := dialNS(t)
	want := parseGenlCtrlList(t, string(ns.Run(t, "genl", "ctrl", "list")))
	got, err := c.ListFamilies(testCtx(t))
	if err != nil {
		t.Fatalf("ListFamilies: %v", err)
	}
	if len(want) < 2 {
		t.Fatalf("genl ctrl list printed %d families; the parser or the tool is broken", len(want))
	}
	if len(got) != len(want) {
		t.Errorf("%d families, genl ctrl list shows %d", len(got), len(want))
	}
	sawFlags, sawGroups := false, false
	nOps, nFlags, nWords, nGroups := 0, 0, 0, 0
	for i := 0; i < min(len(got), len(want)); i++ {
		g, w := got[i], want[i]
		where := fmt.Sprintf("family #%d %q", i, w.name)
		if g.Name != w.name || uint64(g.ID) != w.id || uint64(g.Version) != w.version || uint64(g.HdrSize) != w.hdr || uint64(g.MaxAttr) != w.maxAttr {
			t.Errorf("%s: got name %q id %#x version %#x hdrsize %d maxattr %d; genl: %q %#x %#x %d %d",
				where, g.Name, g.ID, g.Version, g.HdrSize, g.MaxAttr, w.name, w.id, w.version, w.hdr, w.maxAttr)
		}
		if len(g.Ops) != len(w.ops) {
			t.Errorf("%s: %d ops, genl shows %d", where, len(g.Ops), len(w.ops))
		}
		for j := 0; j < min(len(g.Ops), len(w.ops)); j++ {
			gop, wop := g.Ops[j], w.ops[j]
			nOps++
			if uint64(gop.Cmd) != wop.id {
				t.Errorf("%s op #%d: cmd %#x, genl %#x", where, j+1, gop.Cmd, wop.id)
			}
			if wop.hasFlags {
				sawFlags = true
				nFlags++
				if uint64(gop.Flags) != wop.flags {
					t.Errorf("%s op %#x: flags %#x, genl %#x", where, gop.Cmd, uint32(gop.Flags), wop.flags)
				}
				if wop.flags != 0 {
					nWords++
				}
				if wop.flags != 0 && genlWords(gop.Flags) != wop.words {
					t.Errorf("%s op %#x: flags read %q, genl prints %q", where, gop.Cmd, genlWords(gop.Flags), wop.words)
				}
			}
		}
		if len(g.Groups) != len(w.groups) {
			t.Errorf("%s: groups %v, genl shows %v", where, g.Groups, w.groups)
			continue
		}
		for j := range g.Groups {
			sawGroups = true
			nGroups++
			if g.Groups[j] != w.groups[j] {
				t.Errorf("%s group #%d: %+v, genl %+v", where, j+1, g.Groups[j], w.groups[j])
			}
		}
	}
	t.Logf("compared %d families, %d ops (%d with flags, %d in words), %d groups", len(got), nOps, nFlags, nWords, nGroups)
	if !sawFlags || !sawGroups {
		t.Errorf("the comparison covered no op flags (%v) or no groups (%v): nlctrl has both", sawFlags, sawGroups)
	}
}

// Family by name and by id agree with `genl ctrl get name N` and
// `genl ctrl get id I`.
func TestIntegrationFamilyMatchesGenlCtrlGet(t *testing.T) {
	c, ns := dialNS(t)
	for _, name := range []string{"nlctrl", "ethtool", "netdev"} {
		want := parseGenlCtrlList(t, string(ns.Run(t, "genl", "ctrl", "get", "name", name)))
		got, err := c.Family(testCtx(t), name)
		if err != nil || len(want) != 1 {
			t.Fatalf("Family(%s): %v; genl ctrl get printed %d families", name, err, len(want))
		}
		byID, err := c.FamilyByID(testCtx(t), got.ID)
		if err != nil {
			t.Fatalf("FamilyByID(%#x): %v", got.ID, err)
		}
		wantByID := parseGenlCtrlList(t, string(ns.Run(t, "genl", "ctrl", "get", "id", fmt.Sprintf("%#x", got.ID))))
		for _, g := range []Family{got, byID} {
			if msg := diffGenl(g, want[0]); msg != "" {
				t.Errorf("%s: %s", name, msg)
			}
			if msg := diffGenl(g, wantByID[0]); msg != "" {
				t.Errorf("%s by id: %s", name, msg)
			}
		}
	}
	if _, err := c.FamilyByID(testCtx(t), 0x3ff); !errors.Is(err, unix.ENOENT) {
		t.Errorf("FamilyByID(0x3ff): %v; want ENOENT", err)
	}
}

// diffGenl says how g differs from what genl printed, or "".
func diffGenl(g Family, w genlFamily) string {
	if g.Name != w.name || uint64(g.ID) != w.id || uint64(g.Version) != w.version || uint64(g.HdrSize) != w.hdr || uint64(g.MaxAttr) != w.maxAttr {
		return fmt.Sprintf("name %q id %#x version %#x hdrsize %d maxattr %d; genl: %q %#x %#x %d %d",
			g.Name, g.ID, g.Version, g.HdrSize, g.MaxAttr, w.name, w.id, w.version, w.hdr, w.maxAttr)
	}
	if len(g.Ops) != len(w.ops) || len(g.Groups) != len(w.groups) {
		return fmt.Sprintf("%d ops, %d groups; genl: %d, %d", len(g.Ops), len(g.Groups), len(w.ops), len(w.groups))
	}
	for i, op := range g.Ops {
		if uint64(op.Cmd) != w.ops[i].id || w.ops[i].hasFlags && uint64(op.Flags) != w.ops[i].flags {
			return fmt.Sprintf("op #%d %+v; genl %+v", i+1, op, w.ops[i])
		}
	}
	for i, gr := range g.Groups {
		if gr != w.groups[i] {
			return fmt.Sprintf("group #%d %+v; genl %+v", i+1, gr, w.groups[i])
		}
	}
	return ""
}

func TestIntegrationAppendFamiliesEqualsListFamilies(t *testing.T) {
	c, _ := dialNS(t)
	list, err := c.ListFamilies(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	// A dst with stale content and spare capacity: every field must be
	// overwritten.
	dst := make([]Family, 1, 2)
	dst[0] = Family{Name: "stale", ID: 99, Ops: []Op{{1, 2}, {3, 4}, {5, 6}}, Groups: []Group{{7, "x"}}}
	for range 2 {
		dst, err = c.AppendFamilies(testCtx(t), dst)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(dst) != fmt.Sprint(list) {
			t.Fatalf("AppendFamilies:\n%v\nListFamilies:\n%v", dst, list)
		}
	}
}

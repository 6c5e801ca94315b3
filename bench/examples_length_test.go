package bench

import (
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"os"
	"path/filepath"
	"testing"
)

// exampleTwins pairs each everyday program of rtnl's examples with the same
// program on vishvananda/netlink (examples_vishvananda_test.go). gap is how
// many lines the rtnl program is known to be longer, and missing says
// precisely what rtnl lacks for it not to be: the test fails when a
// program is longer than its twin by anything other than its recorded gap
// (a new gap, a grown one, or one that shrank or closed and must be
// updated).
var exampleTwins = []struct {
	nlengine, vishvananda string
	gap                   int
	missing               string
}{
	{"ExampleRoutes", "Example_vishvanandaRoutes", 0, ""},
	{"ExampleLinkList", "Example_vishvanandaLinkList", 0, ""},
	{"ExampleConn_Events", "Example_vishvanandaEvents", 0, ""},
	{"ExampleApplyRoutes", "Example_vishvanandaApplyRoutes", 8,
		"a batch is two passes, the slice built (5 lines) then applied (3) and each Err read (5), where vishvananda's loop of 50 000 RouteAdd round trips is one pass of 6"},
	{"ExampleLinkAdd_veth", "Example_vishvanandaLinkAddVeth", 0, ""},
	{"ExampleNeighs", "Example_vishvanandaNeighList", 0, ""},
}

// bodyLines counts the lines of each function's body (between its braces)
// in the Go files given that hold code: blank lines and lines with only a
// comment do not count; a token spanning lines (a raw string) counts each.
func bodyLines(t *testing.T, files ...string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		// Lines holding a token other than a comment (comments are
		// skipped by the scanner's default mode).
		code := map[int]bool{}
		var s scanner.Scanner
		tf := fset.AddFile(path+"#scan", -1, len(src))
		s.Init(tf, src, nil, 0)
		for {
			pos, tok, lit := s.Scan()
			if tok == token.EOF {
				break
			}
			if tok == token.SEMICOLON && lit == "\n" {
				continue // inserted at a line's end, on a line already counted
			}
			from := tf.Position(pos).Line
			to := tf.Position(pos + token.Pos(len(lit))).Line
			for l := from; l <= to; l++ {
				code[l] = true
			}
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			open, end := fset.Position(fn.Body.Lbrace).Line, fset.Position(fn.Body.Rbrace).Line
			n := 0
			for l := open + 1; l < end; l++ {
				if code[l] {
					n++
				}
			}
			out[fn.Name.Name] = n
		}
	}
	return out
}

// TestExamplesNoLongerThanVishvananda checks that each of the six everyday
// programs is no longer on rtnl than on vishvananda/netlink, but for the
// recorded gaps of exampleTwins, counting the non-blank, non-comment lines
// of each body, and prints both counts:
//
//	cd bench && go test -run TestExamplesNoLongerThanVishvananda -v
func TestExamplesNoLongerThanVishvananda(t *testing.T) {
	rtnlFiles, err := filepath.Glob("../rtnl/*example*_test.go")
	if err != nil || len(rtnlFiles) == 0 {
		t.Fatalf("no rtnl examples: %v", err)
	}
	ours := bodyLines(t, rtnlFiles...)
	theirs := bodyLines(t, "examples_vishvananda_test.go")
	t.Logf("%-26s %8s %12s  %s", "program", "nlengine", "vishvananda", "missing in rtnl")
	for _, p := range exampleTwins {
		n, ok := ours[p.nlengine]
		if !ok {
			t.Errorf("%s: not found in %v", p.nlengine, rtnlFiles)
			continue
		}
		v, ok := theirs[p.vishvananda]
		if !ok {
			t.Errorf("%s: not found in examples_vishvananda_test.go", p.vishvananda)
			continue
		}
		t.Logf("%-26s %8d %12d  %s", p.nlengine, n, v, p.missing)
		switch gap := max(n-v, 0); {
		case gap > p.gap:
			t.Errorf("%s: %d lines, %d more than %s (%d), recorded gap %d", p.nlengine, n, gap, p.vishvananda, v, p.gap)
		case gap < p.gap:
			t.Errorf("%s: %d lines, %s %d: the gap is now %d, not %d: update exampleTwins", p.nlengine, n, p.vishvananda, v, gap, p.gap)
		}
	}
}

// TestBodyLinesSkipsBlankAndCommentLines checks the counter on a function
// with blank lines, comment lines, a trailing comment and a raw string
// over two lines.
func TestBodyLinesSkipsBlankAndCommentLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.go")
	src := "package x\n\nfunc f() {\n\t// a comment\n\n\ta := 1 // trailing\n\t/* block */\n\tb := `two\nlines`\n\t_, _ = a, b\n}\n\nfunc g() {}\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	got := bodyLines(t, path)
	if got["f"] != 4 || got["g"] != 0 {
		t.Fatalf("bodyLines = %v, want f 4 and g 0", got)
	}
}

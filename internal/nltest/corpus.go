//go:build linux

package nltest

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// updateCorpus is the test binary's -update-corpus flag:
//
//	go test -run Corpus ./pkg/ -args -update-corpus
var updateCorpus = flag.Bool("update-corpus", false, "write the kernel messages a corpus test captures to testdata/fuzz as fuzz seeds")

// UpdateCorpus reports whether the test binary runs with -update-corpus,
// that is whether [Seeds] writes seeds rather than checks them. Safe for
// concurrent use once the flags are parsed.
func UpdateCorpus() bool { return *updateCorpus }

// Seeds writes the kernel messages a corpus test captured as the seed
// corpus of fuzz target, or checks that the target has one. Each entry of
// seeds is one seed: the fuzz function's arguments in order ([]byte,
// string, bool or an integer type).
//
// With -update-corpus it writes each seed as
// testdata/fuzz/<target>/kernel-<name> in the go test fuzz v1 format.
// Without it, it writes nothing and fails tb unless the target has at
// least one kernel- seed checked in, so a corpus test always checks
// something.
func Seeds(tb testing.TB, target string, seeds map[string][]any) {
	tb.Helper()
	dir := filepath.Join("testdata", "fuzz", target)
	if !*updateCorpus {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), "kernel-") {
				return
			}
		}
		tb.Errorf("%s has no kernel seeds; run the test with -args -update-corpus", dir)
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	for name, args := range seeds {
		body := "go test fuzz v1\n"
		for _, a := range args {
			switch v := a.(type) {
			case []byte:
				body += fmt.Sprintf("[]byte(%q)\n", v)
			case string:
				body += fmt.Sprintf("string(%q)\n", v)
			case bool:
				body += fmt.Sprintf("bool(%v)\n", v)
			case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
				body += fmt.Sprintf("%T(%d)\n", v, v)
			default:
				tb.Fatalf("seed %s of %s: argument of type %T cannot be a fuzz argument", name, target, a)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "kernel-"+name), []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

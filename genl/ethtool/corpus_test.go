package ethtool

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The fuzz seed corpus in testdata/fuzz holds real kernel messages,
// captured in a test namespace by the integration tests that call
// WriteSeeds with:
//
//	go test -run Corpus ./genl/... -args -update-corpus
var updateCorpus = flag.Bool("update-corpus", false, "write kernel messages to testdata/fuzz as seeds")

// writeSeeds writes each input as testdata/fuzz/<target>/kernel-<name>
// under -update-corpus; otherwise it checks that the target has kernel
// seeds checked in.
func writeSeeds(t *testing.T, target string, inputs map[string][]byte) {
	t.Helper()
	writeSeedsTail(t, target, inputs, nil)
}

// writeSeedsWithID is writeSeeds for FuzzDecodeStringSet, whose second
// argument, the set id, follows the last "-" of the seed's name.
func writeSeedsWithID(t *testing.T, target string, inputs map[string][]byte) {
	t.Helper()
	writeSeedsTail(t, target, inputs, func(name string) string {
		return "uint32(" + name[strings.LastIndex(name, "-")+1:] + ")\n"
	})
}

func writeSeedsTail(t *testing.T, target string, inputs map[string][]byte, tail func(string) string) {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", target)
	if !*updateCorpus {
		ents, _ := os.ReadDir(dir)
		n := 0
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), "kernel-") {
				n++
			}
		}
		if n == 0 {
			t.Errorf("%s has no kernel seeds; run with -args -update-corpus", dir)
		}
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range inputs {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if tail != nil {
			body += tail(name)
		}
		if err := os.WriteFile(filepath.Join(dir, "kernel-"+name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

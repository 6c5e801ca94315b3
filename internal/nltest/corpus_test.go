//go:build linux

package nltest

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSeedsWritesTheFuzzFormatAndThenFindsIt(t *testing.T) {
	t.Chdir(t.TempDir())
	*updateCorpus = true
	t.Cleanup(func() { *updateCorpus = false })
	Seeds(t, "FuzzX", map[string][]any{"a": {[]byte("\x01\"b"), uint32(7), uint8(3), "s", true}})
	got, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzX", "kernel-a"))
	if err != nil {
		t.Fatal(err)
	}
	want := "go test fuzz v1\n[]byte(\"\\x01\\\"b\")\nuint32(7)\nuint8(3)\nstring(\"s\")\nbool(true)\n"
	if string(got) != want {
		t.Fatalf("seed file:\n%s\nwant:\n%s", got, want)
	}
	*updateCorpus = false
	Seeds(t, "FuzzX", nil) // finds kernel-a, so does not fail t
}

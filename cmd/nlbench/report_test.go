package main

import (
	"strings"
	"testing"
)

func TestPercentilesOnlyFromEnoughSamples(t *testing.T) {
	for _, tc := range []struct {
		n           int
		p99, p999   bool
		description string
	}{
		{1, false, false, "one sample: the median only"},
		{40, false, false, "40 samples: a p99.9 would be the maximum"},
		{99, false, false, "99 samples: no sample above a p99"},
		{100, true, false, "100 samples: p99"},
		{999, true, false, "999 samples: still no p99.9"},
		{1000, true, true, "1000 samples: both"},
	} {
		var h histogram
		for i := range tc.n {
			h.record(int64(1000 + i))
		}
		l := summarize(&h)
		if (l.P99 != nil) != tc.p99 || (l.P999 != nil) != tc.p999 || l.Samples != uint64(tc.n) {
			t.Errorf("%s: p99 %v p99.9 %v samples %d", tc.description, l.P99 != nil, l.P999 != nil, l.Samples)
		}
		if l.P50 == 0 || l.Max != uint64(1000+tc.n-1) {
			t.Errorf("%s: p50 %d max %d", tc.description, l.P50, l.Max)
		}
	}
	if summarize(&histogram{}) != nil {
		t.Error("an empty histogram has a summary")
	}
}

func TestLossTextSaysWhatWasLostAndWhy(t *testing.T) {
	for _, tc := range []struct {
		ev   events
		want string
	}{
		{events{Expected: 20000, Received: 18503, Lost: 1497, ENOBUFS: 2}, "lost 1497 of 20000 (ENOBUFS ×2)"},
		{events{Expected: 100, Received: 90, Lost: 10, QueueDrops: 10}, "lost 10 of 100 (10 dropped from the Conn's full queue)"},
		{events{Expected: 100, Received: 99, Lost: 1}, "lost 1 of 100 (unexplained: no ENOBUFS or queue overrun reported)"},
	} {
		if got := lossText(&tc.ev); got != tc.want {
			t.Errorf("lossText(%+v) = %q, want %q", tc.ev, got, tc.want)
		}
	}
}

func TestStormPassesOnlyWhenNothingIsLost(t *testing.T) {
	for _, tc := range []struct {
		ev      events
		ok      bool
		verdict string
	}{
		{events{Expected: 20000, Received: 20000}, true, "all 20000 events received"},
		{events{Expected: 20000, Received: 18503, Lost: 1497, ENOBUFS: 2}, false, "FAILED: lost 1497 of 20000 (ENOBUFS ×2)"},
		{events{Expected: 20000, Received: 19999, Lost: 1}, false, "FAILED: lost 1 of 20000 (unexplained: no ENOBUFS or queue overrun reported)"},
		{events{Expected: 10, Received: 12, Lost: -2}, false, "FAILED: received 12 events, only 10 changes were made"},
	} {
		var r result
		judgeStorm(&r, &tc.ev)
		if r.ok() != tc.ok || r.verdict() != tc.verdict {
			t.Errorf("%+v: ok %v verdict %q, want %v %q", tc.ev, r.ok(), r.verdict(), tc.ok, tc.verdict)
		}
	}
}

func TestVerdict(t *testing.T) {
	var r result
	r.pass("all 10 NOOPs acked")
	if !r.ok() || r.verdict() != "all 10 NOOPs acked" {
		t.Errorf("passed: ok %v verdict %q", r.ok(), r.verdict())
	}
	r.fail("lost 1 of 2 (ENOBUFS ×1)")
	r.pass("all 2 events received") // a failure stays
	if r.ok() || r.verdict() != "FAILED: lost 1 of 2 (ENOBUFS ×1)" {
		t.Errorf("failed: ok %v verdict %q", r.ok(), r.verdict())
	}
	r = result{Check: "ok", Error: "connect: permission denied"}
	if r.ok() || !strings.HasPrefix(r.verdict(), "error: connect") {
		t.Errorf("error: ok %v verdict %q", r.ok(), r.verdict())
	}
}

func TestParseRcvbuf(t *testing.T) {
	for in, want := range map[string]int{"engine": 0, "system": 0, "212992": 212992, "208K": 208 << 10, "8M": 8 << 20} {
		cfg := &config{rcvbufChoice: in}
		if err := parseRcvbuf(cfg); err != nil || cfg.rcvbuf != want {
			t.Errorf("%q: %d, %v; want %d", in, cfg.rcvbuf, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1", "8G", "2048M", "lots", "8 M"} {
		if err := parseRcvbuf(&config{rcvbufChoice: in}); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		n          int
		noun, want string
	}{{1, "route", "1 route"}, {0, "link", "0 links"}, {65, "IPv4 address", "65 IPv4 addresses"}, {5, "run", "5 runs"}} {
		if got := count(tc.n, tc.noun); got != tc.want {
			t.Errorf("count(%d, %q) = %q, want %q", tc.n, tc.noun, got, tc.want)
		}
	}
}

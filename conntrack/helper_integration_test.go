package conntrack

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nlengine/nlengine/internal/netnstest"
	"github.com/nlengine/nlengine/internal/nltest"
)

// ftpRuleset gives FTP control connections on port 21 the kernel's ftp
// helper and source-NATs them from 127.0.0.1 to 127.0.0.55, so that the
// helper rewrites the address of a PORT command, one byte longer, and
// expects the data connection to the rewritten address.
const ftpRuleset = `table inet nlengine_ftp {
	ct helper ftp-std { type "ftp" protocol tcp; }
	chain out {
		type filter hook output priority 0; policy accept;
		tcp dport 21 ct helper set "ftp-std"
	}
	chain post {
		type nat hook postrouting priority 100; policy accept;
		tcp dport 21 snat ip to 127.0.0.55
	}
	chain outnat { type nat hook output priority -100; policy accept; }
}
`

// ftpPort is the PORT command the client sends, and what the server
// receives once the helper has rewritten it for the NAT.
const (
	ftpPort     = "PORT 127,0,0,1,200,10\r\n"
	ftpPortSeen = "PORT 127,0,0,55,200,10\r\n"
	ftpDataPort = 200<<8 | 10
)

// ftpEnd is where a session of the FTP fixture runs: the network, the
// address of both ends (the server's and the client's) and the command
// that names the data connection's address and port.
type ftpEnd struct{ network, host, cmd string }

// ftp4 is the IPv4 session (a PORT command, rewritten by the NAT of
// ftpRuleset); ftp6 the IPv6 one (an EPRT command, which no NAT rewrites).
var (
	ftp4 = ftpEnd{"tcp4", "127.0.0.1", ftpPort}
	ftp6 = ftpEnd{"tcp6", "::1", "EPRT |2|::1|" + strconv.Itoa(ftpDataPort) + "|\r\n"}
)

// ftpSession runs, inside ns, an FTP control session over IPv4 loopback up
// to an active-mode PORT command, and returns the PORT line the server
// received. The sockets live until the test ends.
func ftpSession(t *testing.T, ns *netnstest.NS) string { return ftpSessionOn(t, ns, ftp4) }

// ftpSessionOn runs ftpSession's session on end and returns the
// data-connection command the server received.
func ftpSessionOn(t *testing.T, ns *netnstest.NS, end ftpEnd) string {
	t.Helper()
	var seen string
	err := ns.Do(func() error {
		srv, err := net.Listen(end.network, net.JoinHostPort(end.host, "21"))
		if err != nil {
			return err
		}
		data, err := net.Listen(end.network, net.JoinHostPort(end.host, strconv.Itoa(ftpDataPort)))
		if err != nil {
			srv.Close()
			return err
		}
		t.Cleanup(func() { srv.Close(); data.Close() })
		got := make(chan string, 1)
		go func() {
			defer close(got)
			c, err := srv.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
			r := bufio.NewReader(c)
			c.Write([]byte("220 ready\r\n"))
			r.ReadString('\n') // USER
			c.Write([]byte("331 password\r\n"))
			line, _ := r.ReadString('\n')
			got <- line
			c.Write([]byte("200 ok\r\n"))
		}()
		cl, err := net.DialTimeout(end.network, net.JoinHostPort(end.host, "21"), 5*time.Second)
		if err != nil {
			return err
		}
		t.Cleanup(func() { cl.Close() })
		r := bufio.NewReader(cl)
		// NB: the helper reads commands only after a line end it has seen
		// in that direction, so PORT is not the first line.
		for _, cmd := range []string{"", "USER anonymous\r\n", end.cmd} {
			if cmd != "" {
				if _, err := cl.Write([]byte(cmd)); err != nil {
					return err
				}
			}
			if _, err := r.ReadString('\n'); err != nil {
				return fmt.Errorf("reply to %q: %w", cmd, err)
			}
		}
		seen = <-got
		return nil
	})
	if err != nil {
		t.Fatalf("FTP session over %s: %v", end.network, err)
	}
	return seen
}

// ftpData opens, as an active-mode server does, the data connection to
// the address the PORT command named after NAT.
func ftpData(t *testing.T, ns *netnstest.NS) {
	t.Helper()
	err := ns.Do(func() error {
		c, err := net.DialTimeout("tcp4", "127.0.0.55:"+strconv.Itoa(ftpDataPort), 5*time.Second)
		if err != nil {
			return err
		}
		t.Cleanup(func() { c.Close() })
		return nil
	})
	if err != nil {
		t.Fatalf("FTP data connection: %v", err)
	}
}

// settle waits until no entry's counters or timeout changed for 300 ms
// (a delayed ACK comes up to 200 ms late), so that the tool and List see
// the same table, and returns it.
func settle(t *testing.T, c *Conn) []Flow {
	t.Helper()
	key := func(fl []Flow) string {
		var b strings.Builder
		for _, f := range fl {
			fmt.Fprintf(&b, "%d %+v %+v %d;", f.ID, f.CountersOrig, f.CountersReply, f.TCP.State)
		}
		return b.String()
	}
	var last string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		flows, err := c.List(testCtx(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		k := key(flows)
		if k == last {
			return flows
		}
		last = k
	}
	t.Fatal("the table did not settle in 5 s")
	return nil
}

// TestIntegrationHelperNATAndExpectedFlowAgreeWithConntrackTool runs an
// FTP session through the kernel's ftp helper and source NAT, with
// accounting on, and checks what the tool cannot show as well as what it
// does: the control entry's helper, counters and NAT status agree with
// conntrack -L -o extended,id; its sequence adjustment is the one byte the
// helper added to the PORT command; and the data connection, expected by
// the helper, carries as its master the control entry's original tuple,
// as conntrack -L expect printed it.
func TestIntegrationHelperNATAndExpectedFlowAgreeWithConntrackTool(t *testing.T) {
	c, ns := dial(t)
	file := filepath.Join(t.TempDir(), "ftp.nft")
	if err := os.WriteFile(file, []byte(ftpRuleset), 0o644); err != nil {
		t.Fatal(err)
	}
	ns.Run(t, "nft", "-f", file)
	ns.Run(t, "sysctl", "-q", "-w", "net.netfilter.nf_conntrack_acct=1")

	if seen := ftpSession(t, ns); seen != ftpPortSeen {
		t.Fatalf("the server read %q, want %q: the helper did not rewrite PORT", seen, ftpPortSeen)
	}
	flows := settle(t, c)
	if len(flows) != 1 {
		t.Fatalf("List = %d flows; want the control connection", len(flows))
	}
	ctl := flows[0]
	wantStatus := StatusSrcNAT | StatusSeqAdjust | StatusHelper | StatusAssured
	if ctl.Helper() != "ftp" || !ctl.Status.Has(wantStatus) || ctl.Has&(FieldCountersOrig|FieldCountersReply) == 0 {
		t.Errorf("control entry: helper %q, status %v, counters %+v %+v; want ftp, %v and counters",
			ctl.Helper(), ctl.Status, ctl.CountersOrig, ctl.CountersReply, wantStatus)
	}
	if grew := uint32(len(ftpPortSeen) - len(ftpPort)); ctl.Has&FieldSeqAdjOrig == 0 || ctl.SeqAdjOrig.OffsetAfter != grew ||
		ctl.SeqAdjOrig.OffsetBefore != 0 || ctl.SeqAdjReply != (SeqAdj{}) {
		t.Errorf("sequence adjustment: original %+v (sent %v), reply %+v; want the original one %d byte(s) after",
			ctl.SeqAdjOrig, ctl.Has&FieldSeqAdjOrig != 0, ctl.SeqAdjReply, grew)
	}
	agreeWithTool(t, c, ns.Run(t, "conntrack", "-L", "-o", "extended,id"))

	exp := strings.Fields(string(ns.Run(t, "conntrack", "-L", "expect")))
	master := map[string]string{}
	for i, w := range exp {
		k, v, _ := strings.Cut(w, "=")
		switch k {
		case "master-src", "master-dst":
			master[strings.TrimPrefix(k, "master-")] = v
			if k == "master-dst" && i+2 < len(exp) {
				// The master's ports follow its addresses.
				for _, p := range exp[i+1 : i+3] {
					pk, pv, _ := strings.Cut(p, "=")
					master[pk] = pv
				}
			}
		}
	}
	ftpData(t, ns)
	if flows = settle(t, c); len(flows) != 2 {
		t.Fatalf("List = %d flows; want control and data", len(flows))
	}
	nltest.Seeds(t, "FuzzFlowDecode", entrySeeds(t, c, "ftp-"))
	expected := 0
	for i := range flows {
		f := &flows[i]
		if f.Orig.DstPort != ftpDataPort {
			if f.Has&FieldMaster != 0 {
				t.Errorf("control entry has a master %+v", f.Master)
			}
			continue
		}
		expected++
		if !f.Status.Has(StatusExpected) || f.Has&FieldMaster == 0 || f.Master != ctl.Orig {
			t.Errorf("data entry: status %v, master %+v (sent %v); want EXPECTED and the control entry's %+v",
				f.Status, f.Master, f.Has&FieldMaster != 0, ctl.Orig)
		}
		compareTuple(t, "master as conntrack -L expect printed it", &f.Master, master)
	}
	if expected != 1 {
		t.Errorf("%d data entries, want 1", expected)
	}
	agreeWithTool(t, c, ns.Run(t, "conntrack", "-L", "-o", "extended,id"))
}

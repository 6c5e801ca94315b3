package sockdiag

import (
	"bytes"
	"cmp"
	"context"
	"iter"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/nlmsg"
)

// UnixRequest says which unix sockets to dump and what to show of them.
type UnixRequest struct {
	States States // zero means AllStates
	// Show is the set of nlmsg.UDiagShow* bits; zero means name, VFS,
	// peer, pending connections, queue lengths and uid (not memory).
	Show uint32
}

// DefaultUnixShow is what a UnixRequest with Show zero asks for.
const DefaultUnixShow = nlmsg.UDiagShowName | nlmsg.UDiagShowVFS | nlmsg.UDiagShowPeer |
	nlmsg.UDiagShowIcons | nlmsg.UDiagShowRQLen | nlmsg.UDiagShowUID

// unixPathMax is UNIX_PATH_MAX, sun_path's size.
const unixPathMax = 108

// UnixSocket is one AF_UNIX socket of a dump: struct unix_diag_msg and the
// attributes asked for. Pending is the one field that refers to memory the
// iterator reuses; everything else is held in the value.
type UnixSocket struct {
	Type   SockType
	State  State // StateListen, StateEstablished, or StateClose (unconnected)
	Inode  uint32
	Cookie uint64
	Peer   uint32 // UNIX_DIAG_PEER: the peer's inode, 0 when not connected
	RQueue uint32 // UNIX_DIAG_RQLEN: bytes queued (listener: connections waiting in accept)
	WQueue uint32 // UNIX_DIAG_RQLEN: bytes sent not yet read (listener: its backlog)
	VFS    VFS    // UNIX_DIAG_VFS: the inode of the bound path in the file system
	// Pending lists, for a listener, the inodes of the client sockets
	// whose connections wait in its accept queue (UNIX_DIAG_ICONS). In DumpUnix it is reused from one
	// socket to the next; ListUnix gives each socket its own.
	Pending   []uint32
	SkMemInfo SkMemInfo // UNIX_DIAG_MEMINFO
	Shutdown  uint8     // UNIX_DIAG_SHUTDOWN
	UID       uint32    // UNIX_DIAG_UID

	name    [unixPathMax]byte
	nameLen uint8
	has     uint32
}

// VFS is struct unix_diag_vfs.
type VFS struct {
	Inode uint32 // udiag_vfs_ino
	Dev   uint32 // udiag_vfs_dev: the device, in the kernel's internal encoding (major<<20 | minor)
}

// Has reports whether the reply carried the UNIX_DIAG_* attribute typ.
func (s *UnixSocket) Has(typ uint16) bool { return typ < 32 && s.has&(1<<typ) != 0 }

// PathBytes returns the bound name as the kernel holds it, without
// allocating: a file system path (without a terminating NUL), an abstract
// name starting with a NUL byte, or nothing for an unbound socket. It points into s.
func (s *UnixSocket) PathBytes() []byte { return s.name[:s.nameLen] }

// Path returns the bound name as `ss -x` prints it: an abstract name with
// '@' for each of its NUL bytes (the leading one and any inside it), "" for
// an unbound socket. It allocates.
func (s *UnixSocket) Path() string {
	p := s.PathBytes()
	if len(p) > 0 && p[0] == 0 {
		b := []byte(string(p))
		for i, c := range b {
			if c == 0 {
				b[i] = '@'
			}
		}
		return string(b)
	}
	return string(p)
}

// Decode fills s from the payload of one SOCK_DIAG_BY_FAMILY reply for a
// unix socket, overwriting every field; Pending keeps its capacity. Decode
// keeps no reference to payload and allocates only to grow Pending, and
// for an error, a *DecodeError naming the header or attribute at fault.
func (s *UnixSocket) Decode(payload []byte) error {
	h, attrs, err := nlmsg.DecodeUnixDiagMsg(payload)
	if err := headerErr("unix_diag_msg", payload, nlmsg.UnixDiagMsgLen, err, h.Family, unix.AF_UNIX); err != nil {
		return err
	}
	pending := s.Pending[:0]
	*s = UnixSocket{
		Type: SockType(h.Type), State: State(h.State), Inode: h.Inode,
		Cookie: cookieOf(h.Cookie),
	}
	as := nlmsg.NewAttrScanner(attrs)
	for as.Next() {
		a := as.Attr()
		d := a.Data()
		t := a.Type()
		switch t {
		case nlmsg.UnixDiagName:
			if len(d) > 0 && d[0] != 0 {
				// A path: the kernel stores it with a terminating NUL,
				// even one of all 108 bytes of sun_path (109 then).
				if i := bytes.IndexByte(d, 0); i >= 0 {
					d = d[:i]
				}
			}
			if len(d) > unixPathMax {
				return sizeErr("UNIX_DIAG_NAME", len(d), -unixPathMax)
			}
			s.nameLen = uint8(copy(s.name[:], d))
		case nlmsg.UnixDiagVFS:
			if len(d) != nlmsg.UnixDiagVFSLen {
				return sizeErr("UNIX_DIAG_VFS", len(d), nlmsg.UnixDiagVFSLen)
			}
			s.VFS = VFS{Inode: u32(d, 0), Dev: u32(d, 4)}
		case nlmsg.UnixDiagPeer:
			if len(d) != 4 {
				return sizeErr("UNIX_DIAG_PEER", len(d), 4)
			}
			s.Peer = u32(d, 0)
		case nlmsg.UnixDiagIcons:
			if len(d)%4 != 0 {
				return sizeErr("UNIX_DIAG_ICONS", len(d), len(d)&^3)
			}
			for off := 0; off < len(d); off += 4 {
				pending = append(pending, u32(d, off))
			}
		case nlmsg.UnixDiagRQLen:
			if len(d) != nlmsg.UnixDiagRQLenLen {
				return sizeErr("UNIX_DIAG_RQLEN", len(d), nlmsg.UnixDiagRQLenLen)
			}
			s.RQueue, s.WQueue = u32(d, 0), u32(d, 4)
		case nlmsg.UnixDiagMemInfo:
			if err := s.SkMemInfo.decode("UNIX_DIAG_MEMINFO", d); err != nil {
				return err
			}
		case nlmsg.UnixDiagShutdown:
			if len(d) < 1 {
				return sizeErr("UNIX_DIAG_SHUTDOWN", len(d), 1)
			}
			s.Shutdown = d[0]
		case nlmsg.UnixDiagUID:
			if len(d) != 4 {
				return sizeErr("UNIX_DIAG_UID", len(d), 4)
			}
			s.UID = u32(d, 0)
		default:
			continue
		}
		s.has |= 1 << t
	}
	s.Pending = pending
	return attrsErr("unix_diag attributes", attrs, as.Err())
}

// DumpUnix dumps the unix sockets req selects and yields each decoded in
// place into one *UnixSocket that the iterator owns and reuses, valid until
// the next step. Errors are yielded last with a nil socket, as DumpInet
// does. DumpUnix does not allocate per socket once Pending has grown to
// the longest accept queue seen. Safe for concurrent use, as DumpInet is.
func DumpUnix(ctx context.Context, c *engine.Conn, req UnixRequest) iter.Seq2[*UnixSocket, error] {
	return func(yield func(*UnixSocket, error) bool) {
		k := reusing[UnixSocket]()
		fail(yield, dumpUnix(ctx, c, req, &k, yield))
	}
}

// dumpUnix runs the dump req asks for into k, yielding to yield if it is
// not nil.
func dumpUnix(ctx context.Context, c *engine.Conn, req UnixRequest, k *sink[UnixSocket], yield func(*UnixSocket, error) bool) error {
	h := nlmsg.UnixDiagReq{Family: unix.AF_UNIX, States: uint32(cmp.Or(req.States, AllStates)),
		Show: cmp.Or(req.Show, DefaultUnixShow), Cookie: noCookie}
	return dumpReplies(ctx, c, "dump unix", h.AppendTo(make([]byte, 0, nlmsg.UnixDiagReqLen)), nil, 0, k, yield)
}

// ListUnix is DumpUnix collected into an owned slice (appended to dst,
// which may be nil), as ListInet collects DumpInet: each socket has its
// own Pending, and on an error it returns the sockets decoded so far and
// the error. A dump of n sockets allocates about n UnixSockets and the
// Pending lists of the listeners among them. Safe for concurrent use.
func ListUnix(ctx context.Context, c *engine.Conn, req UnixRequest, dst []UnixSocket) ([]UnixSocket, error) {
	k := collecting[UnixSocket](unixBlocks)
	return k.list(dst, dumpUnix(ctx, c, req, &k, nil))
}

var unixBlocks = newBlockPool[UnixSocket]()

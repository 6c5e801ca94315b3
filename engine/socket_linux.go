package engine

import (
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// openSocket creates, configures and binds the netlink socket, inside the
// requested network namespace when one is given.
func openSocket(family int, o *options) (fd int, portID uint32, err error) {
	if o.netnsPath != "" || o.netnsFD >= 0 {
		fd, err = socketInNetNS(family, o)
	} else {
		fd, err = unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, family)
		if err != nil {
			err = os.NewSyscallError("socket", err)
		}
	}
	if err != nil {
		return -1, 0, err
	}
	if err = configure(fd, o); err != nil {
		unix.Close(fd)
		return -1, 0, err
	}
	if err = unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return -1, 0, os.NewSyscallError("bind", err)
	}
	// NB: groups are joined after bind: bind sets groups 1-32 to its
	// nl_groups bitmask (0 here), which would undo an earlier join.
	for _, g := range o.groups {
		if highGroup(g) && !o.groupInfo {
			// See groupinfo.go: before the join, so that the group's
			// first datagram is read with its control message.
			if err = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_PKTINFO, 1); err != nil {
				unix.Close(fd)
				return -1, 0, fmt.Errorf("NETLINK_PKTINFO: %w", os.NewSyscallError("setsockopt", err))
			}
			o.groupInfo = true
		}
		if err = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_ADD_MEMBERSHIP, int(g)); err != nil {
			unix.Close(fd)
			return -1, 0, fmt.Errorf("join group %d: %w", g, os.NewSyscallError("setsockopt", err))
		}
	}
	if !o.unconnected {
		// NB: connected to the kernel, the socket hears unicast from the
		// kernel alone: the kernel refuses another socket's datagrams to
		// its port (ECONNREFUSED to their sender). Lone round trips rely
		// on it (see lone.go).
		if err = unix.Connect(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
			unix.Close(fd)
			return -1, 0, os.NewSyscallError("connect", err)
		}
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return -1, 0, os.NewSyscallError("getsockname", err)
	}
	nl, ok := sa.(*unix.SockaddrNetlink)
	if !ok {
		unix.Close(fd)
		return -1, 0, fmt.Errorf("getsockname: unexpected address %T", sa)
	}
	return fd, nl.Pid, nil
}

// socketInNetNS creates the socket on a locked OS thread that has entered
// the target namespace. The thread is never unlocked, so it exits with the
// goroutine and no other goroutine ever runs in the foreign namespace.
func socketInNetNS(family int, o *options) (int, error) {
	type result struct {
		fd  int
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		// NB: no UnlockOSThread: the thread's namespace is changed for good.
		nsfd := o.netnsFD
		if o.netnsPath != "" {
			f, err := unix.Open(o.netnsPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				ch <- result{-1, &os.PathError{Op: "open netns", Path: o.netnsPath, Err: err}}
				return
			}
			defer unix.Close(f)
			nsfd = f
		}
		if err := unix.Setns(nsfd, unix.CLONE_NEWNET); err != nil {
			ch <- result{-1, os.NewSyscallError("setns", err)}
			return
		}
		fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, family)
		if err != nil {
			err = os.NewSyscallError("socket", err)
		}
		ch <- result{fd, err}
	}()
	r := <-ch
	return r.fd, r.err
}

func configure(fd int, o *options) error {
	setBool := func(name string, opt int, on bool) error {
		v := 0
		if on {
			v = 1
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_NETLINK, opt, v); err != nil {
			return fmt.Errorf("%s: %w", name, os.NewSyscallError("setsockopt", err))
		}
		return nil
	}
	// Older kernels lack some options; only an explicit request must succeed.
	if o.extAck {
		_ = setBool("NETLINK_EXT_ACK", unix.NETLINK_EXT_ACK, true)
	}
	if o.capAck {
		_ = setBool("NETLINK_CAP_ACK", unix.NETLINK_CAP_ACK, true)
	}
	if o.strictCheck {
		if err := setBool("NETLINK_GET_STRICT_CHK", unix.NETLINK_GET_STRICT_CHK, true); err != nil {
			return err
		}
	}
	if o.noENOBUFS {
		if err := setBool("NETLINK_NO_ENOBUFS", unix.NETLINK_NO_ENOBUFS, true); err != nil {
			return err
		}
	}
	if n := o.rcvbuf; n > 0 || len(o.groups) > 0 {
		if n == 0 {
			n = ListenerReceiveBuffer
		}
		forced, err := setBuf(fd, unix.SO_RCVBUFFORCE, unix.SO_RCVBUF, n)
		if err != nil {
			return err
		}
		o.rcvbufForced = forced
	}
	if o.sndbuf > 0 {
		if _, err := setBuf(fd, unix.SO_SNDBUFFORCE, unix.SO_SNDBUF, o.sndbuf); err != nil {
			return err
		}
	}
	return nil
}

// setBuf sets a socket buffer size with the FORCE option when the process
// may exceed the sysctl maximum, and with the plain one (which the kernel
// caps at that maximum) otherwise; it reports which.
func setBuf(fd, force, plain, n int) (forced bool, err error) {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, force, n); err == nil {
		return true, nil
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, plain, n); err != nil {
		return false, fmt.Errorf("buffer size %d: %w", n, os.NewSyscallError("setsockopt", err))
	}
	return false, nil
}

// sendmmsg sends msgs, returning how many were sent.
func sendmmsg(fd int, msgs []unix.Mmsghdr) (int, error) {
	n, _, e := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&msgs[0])), uintptr(len(msgs)), unix.MSG_DONTWAIT, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// recvmmsg reads up to len(msgs) datagrams without blocking. MSG_TRUNC makes
// each Len the datagram's real length, so truncation is visible.
func recvmmsg(fd int, msgs []unix.Mmsghdr) (int, error) {
	n, _, e := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(fd), uintptr(unsafe.Pointer(&msgs[0])), uintptr(len(msgs)), unix.MSG_DONTWAIT|unix.MSG_TRUNC, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

func sendmsg(fd int, m *unix.Msghdr) (int, error) {
	_, _, e := unix.Syscall(unix.SYS_SENDMSG, uintptr(fd), uintptr(unsafe.Pointer(m)), unix.MSG_DONTWAIT)
	if e != 0 {
		return 0, e
	}
	return 1, nil
}

// recvmsg reads one datagram without blocking; see recvmmsg for MSG_TRUNC.
func recvmsg(fd int, m *unix.Msghdr) (int, error) {
	n, _, e := unix.Syscall(unix.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(m)), unix.MSG_DONTWAIT|unix.MSG_TRUNC)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// sendto sends the one datagram iov describes without blocking, to the
// socket's default destination: the kernel (nl_pid 0), which the socket is
// connected to (or, unconnected, sends to by default). For one datagram of one buffer it is cheaper than
// sendmsg, which copies in a msghdr and an iovec array.
func sendto(fd int, iov *unix.Iovec) error {
	_, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(iov.Base)), uintptr(iov.Len), unix.MSG_DONTWAIT, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// Reads of a lone round trip (lone.go) go without the runtime's system
// call bookkeeping (RawSyscall6): they cannot block (MSG_DONTWAIT) and do
// no work in the kernel but copy out a queued datagram, since no dump runs
// on the socket then (a read on a socket with a dump running builds the
// dump's next chunk inside it). A read that could take long must go
// through the functions above.

// recvfromNow is recvfrom for a lone round trip. With sa nil it does not
// ask for the sender: for a socket connected to the kernel that joined no
// group, every datagram is the kernel's.
func recvfromNow(fd int, iov *unix.Iovec, sa *unix.RawSockaddrNetlink, salen *uint32) (int, error) {
	var name, namelen uintptr
	if sa != nil {
		*salen = unix.SizeofSockaddrNetlink
		name, namelen = uintptr(unsafe.Pointer(sa)), uintptr(unsafe.Pointer(salen))
	}
	n, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(iov.Base)), uintptr(iov.Len), unix.MSG_DONTWAIT|unix.MSG_TRUNC, name, namelen)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// recvfrom reads one datagram into the buffer iov describes without
// blocking, and its sender into sa; see recvmmsg for MSG_TRUNC. For one
// datagram it is cheaper than recvmsg (no msghdr or iovec to copy in).
func recvfrom(fd int, iov *unix.Iovec, sa *unix.RawSockaddrNetlink, salen *uint32) (int, error) {
	*salen = unix.SizeofSockaddrNetlink
	n, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(iov.Base)), uintptr(iov.Len), unix.MSG_DONTWAIT|unix.MSG_TRUNC, uintptr(unsafe.Pointer(sa)), uintptr(unsafe.Pointer(salen)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

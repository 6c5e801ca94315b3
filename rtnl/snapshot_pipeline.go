package rtnl

import (
	"context"

	"github.com/nlengine/nlengine/nlmsg"
)

// pipeBatch is how many messages the reader of a pipelined dump hands to
// its decoder at a time, and pipeDepth how many batches are in flight.
const (
	pipeBatch = 256
	pipeDepth = 4
)

// pipelined runs the dump on this goroutine, which only copies each
// message's payload into the arena (the kernel builds the next chunk of
// the dump in this goroutine's receive calls), and decodes the copies on
// another goroutine, in batches: on two cores, the decoding then costs the
// dump no time. A decode error cancels the dump and is returned; the
// decoder has returned when pipelined does.
func (d *slotDecoder[T]) pipelined(ctx context.Context, c *Conn, typ nlmsg.Type, req []byte, want nlmsg.Type) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	full := make(chan [][]byte, pipeDepth)
	free := make(chan [][]byte, pipeDepth)
	for range pipeDepth - 1 {
		free <- make([][]byte, 0, pipeBatch)
	}
	decoded := make(chan error, 1)
	go func() {
		var err error
		for b := range full {
			for _, p := range b {
				if err != nil {
					break
				}
				if err = d.add(p); err != nil {
					cancel()
				}
			}
			clear(b)
			free <- b[:0]
		}
		decoded <- err
	}()
	// NB: the arena is this goroutine's (the copies are made before the
	// batch holding them is sent): the decoder gives nothing back to it.
	d.keepRejected = true
	cur := make([][]byte, 0, pipeBatch)
	var err error
	for v, derr := range c.ec.Dump(ctx, typ, req, 0) {
		if derr != nil {
			err = derr
			break
		}
		if v.Type() != want {
			continue
		}
		cur = append(cur, d.m.copy(v.Payload()))
		if len(cur) == pipeBatch {
			full <- cur
			cur = <-free
		}
	}
	if len(cur) > 0 {
		full <- cur
	}
	close(full)
	if derr := <-decoded; derr != nil {
		return derr
	}
	return err
}

package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// progress tells the user on stderr what nlbench is doing: on a terminal
// with one live status line, rewritten in place; otherwise (a pipe, a file,
// CI) with a plain line at each step, so that a log shows how far a run got.
// -quiet turns both off. Safe for concurrent use.
type progress struct {
	w     io.Writer
	on    bool // the live line
	lines bool // plain lines
	mu    sync.Mutex
	line  func() string // the status to show; nil shows nothing
	last  int           // width of the line on screen, to clear it
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

// newProgress starts the live line on w if fd (w's descriptor) is a
// terminal, and plain lines otherwise; when quiet it shows nothing.
func newProgress(w io.Writer, fd int, quiet bool) *progress {
	p := &progress{w: w}
	switch {
	case quiet:
		return p
	case !isTerminal(fd):
		p.lines = true
		return p
	}
	p.on = true
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	go p.loop()
	return p
}

func isTerminal(fd int) bool {
	_, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	return err == nil
}

// stderrFD is the descriptor behind os.Stderr.
func stderrFD() int { return int(os.Stderr.Fd()) }

func (p *progress) loop() {
	defer close(p.done)
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			if p.line != nil {
				p.draw(p.line())
			}
			p.mu.Unlock()
		}
	}
}

// draw rewrites the line; the caller holds p.mu.
func (p *progress) draw(s string) {
	fmt.Fprintf(p.w, "\r%s\x1b[K", s)
	p.last = len(s)
}

// set shows f's result from now on, refreshed a few times a second.
func (p *progress) set(f func() string) {
	if !p.on {
		return
	}
	p.mu.Lock()
	p.line = f
	if f != nil {
		p.draw(f())
	}
	p.mu.Unlock()
}

// step reports a finished step (or the start of a long one) as a plain
// line, when stderr is not a terminal; the live line shows it otherwise.
func (p *progress) step(format string, a ...any) {
	if !p.lines {
		return
	}
	p.mu.Lock()
	fmt.Fprintf(p.w, "nlbench: "+format+"\n", a...)
	p.mu.Unlock()
}

// status shows a fixed text.
func (p *progress) status(s string) { p.set(func() string { return s }) }

// clear removes the line, so that what is printed next starts clean.
func (p *progress) clear() {
	if !p.on {
		return
	}
	p.mu.Lock()
	p.line = nil
	if p.last > 0 {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.last = 0
	}
	p.mu.Unlock()
}

// close clears the line and stops refreshing it. Later calls do nothing.
func (p *progress) close() {
	if !p.on {
		return
	}
	p.once.Do(func() {
		p.clear()
		close(p.stop)
		<-p.done
	})
}

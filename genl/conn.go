package genl

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/nlengine/nlengine/engine"
	"github.com/nlengine/nlengine/nlmsg"
)

// Conn sends generic netlink commands to families by name over an
// engine.Conn of nlmsg.FamilyGeneric. It resolves each family's id, version
// and header size once, on first use, and caches them for its life. All
// methods are safe for concurrent use.
type Conn struct {
	ec  *engine.Conn
	own bool // Close closes ec

	mu     sync.RWMutex
	byName map[string]*Family // owned copies; never changed once stored
	byID   map[uint16]*Family
}

// New returns a Conn over ec, which must be of nlmsg.FamilyGeneric: any
// other family is refused before anything is sent, with an *engine.OpError
// whose cause errors.Is ErrWrongFamily (engine.ErrWrongFamily). Closing the
// Conn does not close ec.
func New(ec *engine.Conn) (*Conn, error) {
	if ec == nil {
		return nil, fmt.Errorf("genl: nil engine.Conn: %w", ErrWrongFamily)
	}
	if err := ec.RequireFamily("genl", nlmsg.FamilyGeneric); err != nil {
		return nil, err
	}
	return &Conn{ec: ec, byName: make(map[string]*Family), byID: make(map[uint16]*Family)}, nil
}

// Dial connects a new engine.Conn of nlmsg.FamilyGeneric with opts (for
// example engine.WithNetNSFD) and returns a Conn that owns it: Close closes
// it.
func Dial(ctx context.Context, opts ...engine.Option) (*Conn, error) {
	ec, err := engine.Connect(ctx, nlmsg.FamilyGeneric, opts...)
	if err != nil {
		return nil, err
	}
	c, _ := New(ec)
	c.own = true
	return c, nil
}

// Engine returns the engine.Conn the Conn speaks over, for its Stats,
// Notifications or raw requests.
func (c *Conn) Engine() *engine.Conn { return c.ec }

// Close closes the engine.Conn if Dial made it; a Conn made by New leaves
// its engine.Conn open.
func (c *Conn) Close() error {
	if c.own {
		return c.ec.Close()
	}
	return nil
}

// Family asks the controller for the family called name
// (CTRL_CMD_GETFAMILY) and returns its description, an owned copy, and
// caches it for later commands. An unknown name is an *engine.OpError that
// errors.Is unix.ENOENT. It always asks the kernel; commands use the cache.
func (c *Conn) Family(ctx context.Context, name string) (Family, error) {
	f, err := c.fetchFamily(ctx, name)
	if err != nil {
		return Family{}, err
	}
	return f.Clone(), nil
}

// FamilyByID is Family for the family whose message type is id (as a
// notification's Message.Family gives it). An unknown id is ENOENT.
func (c *Conn) FamilyByID(ctx context.Context, id uint16) (Family, error) {
	f, err := c.fetchFamilyBy(ctx, "", id)
	if err != nil {
		return Family{}, err
	}
	return f.Clone(), nil
}

// fetchFamily resolves name with the kernel and stores the result in the
// cache.
func (c *Conn) fetchFamily(ctx context.Context, name string) (*Family, error) {
	return c.fetchFamilyBy(ctx, name, 0)
}

// fetchFamilyBy asks the controller for a family by name or, with name
// empty, by id, and stores the result in the cache.
func (c *Conn) fetchFamilyBy(ctx context.Context, name string, id uint16) (*Family, error) {
	f := new(Family)
	b := getBuilder()
	nlmsg.AppendFamilyHeader(b, nlmsg.GenlMsgHdr{Cmd: nlmsg.CtrlCmdGetFamily, Version: ctrlVersion})
	if name != "" {
		b.String(nlmsg.CtrlAttrFamilyName, name)
	} else {
		b.Uint16(nlmsg.CtrlAttrFamilyID, id)
	}
	var derr error
	err := c.ec.RequestFunc(ctx, nlmsg.GenlIDCtrl, b.Bytes(), 0, func(v nlmsg.View) error {
		_, attrs, err := nlmsg.DecodeGenlMsgHdr(v.Payload())
		if err != nil {
			derr = &DecodeError{Msg: msgNewFamily, Offset: -1, Err: err}
			return nil
		}
		if err := DecodeFamily(attrs, f); err != nil {
			derr = err
		}
		return nil
	})
	putBuilder(b)
	if err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, derr
	}
	c.mu.Lock()
	if old, ok := c.byName[f.Name]; ok {
		delete(c.byID, old.ID)
	}
	c.byName[f.Name] = f
	c.byID[f.ID] = f
	c.mu.Unlock()
	return f, nil
}

// ctrlVersion is the controller's interface version sent in requests to it.
const ctrlVersion = 2

// resolve returns the cached family called name, asking the kernel on a
// miss.
func (c *Conn) resolve(ctx context.Context, name string) (*Family, error) {
	c.mu.RLock()
	f := c.byName[name]
	c.mu.RUnlock()
	if f != nil {
		return f, nil
	}
	return c.fetchFamily(ctx, name)
}

// Forget drops the cached description of the family called name, so the
// next command resolves it again (after the family's module was reloaded,
// for example, which gives it a new id).
func (c *Conn) Forget(name string) {
	c.mu.Lock()
	if f, ok := c.byName[name]; ok {
		delete(c.byName, name)
		delete(c.byID, f.ID)
	}
	c.mu.Unlock()
}

// JoinGroup subscribes the Conn to the family's multicast group called
// group (resolving the family if needed); notifications then arrive on
// Notifications. A family without that group gives an error that errors.Is
// both ErrUnknownGroup and unix.ENOENT.
func (c *Conn) JoinGroup(ctx context.Context, family, group string) error {
	id, err := c.groupID(ctx, family, group)
	if err != nil {
		return err
	}
	return c.ec.AddMembership(id)
}

// LeaveGroup undoes JoinGroup.
func (c *Conn) LeaveGroup(ctx context.Context, family, group string) error {
	id, err := c.groupID(ctx, family, group)
	if err != nil {
		return err
	}
	return c.ec.DropMembership(id)
}

func (c *Conn) groupID(ctx context.Context, family, group string) (uint32, error) {
	f, err := c.resolve(ctx, family)
	if err != nil {
		return 0, err
	}
	g, ok := f.Group(group)
	if !ok {
		return 0, fmt.Errorf("genl: family %q has no multicast group %q: %w (%w)", family, group, ErrUnknownGroup, unix.ENOENT)
	}
	return g.ID, nil
}

var builderPool = sync.Pool{New: func() any { return new(nlmsg.Builder) }}

func getBuilder() *nlmsg.Builder { return builderPool.Get().(*nlmsg.Builder) }

func putBuilder(b *nlmsg.Builder) {
	b.Reset()
	builderPool.Put(b)
}

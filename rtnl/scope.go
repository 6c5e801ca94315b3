package rtnl

import "strconv"

// Scope is how far a route or an address is valid (RT_SCOPE_*).
type Scope uint8

// Scopes, from widest to narrowest.
const (
	ScopeUniverse Scope = 0   // RT_SCOPE_UNIVERSE: anywhere ("global")
	ScopeSite     Scope = 200 // RT_SCOPE_SITE: inside the site
	ScopeLink     Scope = 253 // RT_SCOPE_LINK: on the attached link
	ScopeHost     Scope = 254 // RT_SCOPE_HOST: on this host
	ScopeNowhere  Scope = 255 // RT_SCOPE_NOWHERE: nowhere
)

// String gives iproute2's names ("global", "site", "link", "host",
// "nowhere"), or the number as ip prints an unnamed scope.
func (s Scope) String() string {
	switch s {
	case ScopeUniverse:
		return "global"
	case ScopeSite:
		return "site"
	case ScopeLink:
		return "link"
	case ScopeHost:
		return "host"
	case ScopeNowhere:
		return "nowhere"
	}
	return strconv.Itoa(int(s))
}

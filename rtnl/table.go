package rtnl

import "strconv"

// Table is a routing table id. Ids above 255 travel in RTA_TABLE (and
// FRA_TABLE); the 8-bit header field then says RT_TABLE_COMPAT, which the
// decoders never report in place of the real id.
type Table uint32

// Reserved tables.
const (
	TableUnspec  Table = 0   // RT_TABLE_UNSPEC: every table, in a filter
	TableCompat  Table = 252 // RT_TABLE_COMPAT
	TableDefault Table = 253 // RT_TABLE_DEFAULT
	TableMain    Table = 254 // RT_TABLE_MAIN: where routes go unless told otherwise
	TableLocal   Table = 255 // RT_TABLE_LOCAL: local and broadcast addresses
)

// String gives iproute2's names ("unspec", "default", "main", "local") or
// the number.
func (t Table) String() string {
	switch t {
	case TableUnspec:
		return "unspec"
	case TableDefault:
		return "default"
	case TableMain:
		return "main"
	case TableLocal:
		return "local"
	}
	return strconv.FormatUint(uint64(t), 10)
}

package genl

import "github.com/nlengine/nlengine/internal/intern"

// names interns family, group, operation-set and string-set names, so that
// decoding a name seen before does not allocate.
var names = intern.New(4096)

// Intern returns b as a string from the process-wide bounded table genl's
// decoders use, so decoding a name seen before does not allocate. Packages
// built on genl (genl/ethtool) use it for their own names. Safe for
// concurrent use.
func Intern(b []byte) string { return names.String(b) }

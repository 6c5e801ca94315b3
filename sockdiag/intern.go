package sockdiag

import "github.com/nlengine/nlengine/internal/intern"

// congestionNames interns congestion control names: they repeat across
// every socket of a dump, so each distinct name is allocated once.
var congestionNames = intern.New(64)

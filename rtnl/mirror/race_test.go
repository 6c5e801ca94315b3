//go:build race

package mirror

const skipAllocs = true

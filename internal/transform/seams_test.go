package transform

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	jsonata "github.com/blues/jsonata-go"
)

// Test-only built-ins, registered before any test runs:
//
//	$block(name)  blocks until the gate name (see newGate) is released
//	$panic(msg)   panics
var (
	gates     sync.Map // string → chan struct{}
	gateCount atomic.Int64
)

func gate(name string) chan struct{} {
	ch, _ := gates.LoadOrStore(name, make(chan struct{}))
	return ch.(chan struct{})
}

// newGate returns a fresh gate name for $block and a function releasing
// it; the gate is released at the end of the test at the latest.
func newGate(t *testing.T) (string, func()) {
	name := fmt.Sprintf("gate%d", gateCount.Add(1))
	ch := gate(name)
	var once sync.Once
	release := func() { once.Do(func() { close(ch) }) }
	t.Cleanup(release)
	return name, release
}

func init() {
	testBuiltins = map[string]jsonata.Extension{
		"block": {Func: func(name string) bool {
			<-gate(name)
			return true
		}},
		"panic": {Func: func(msg string) bool {
			panic(msg)
		}},
	}
}

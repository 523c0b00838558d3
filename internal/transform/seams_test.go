package transform

import (
	"sync"

	jsonata "github.com/blues/jsonata-go"
)

// Test-only built-ins, registered before any test runs:
//
//	$block(name)  blocks until the test closes the channel gates[name]
//	$panic(msg)   panics
var gates sync.Map // string → chan struct{}

func gate(name string) chan struct{} {
	ch, _ := gates.LoadOrStore(name, make(chan struct{}))
	return ch.(chan struct{})
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

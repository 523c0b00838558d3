module github.com/hookstream-go/hookstream

go 1.25.0

require (
	github.com/blues/jsonata-go v1.5.4
	github.com/cenkalti/backoff/v4 v4.3.0
	github.com/google/btree v1.1.3
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3
	github.com/tidwall/gjson v1.20.0
	go.etcd.io/bbolt v1.5.0
)

require (
	github.com/tidwall/match v1.1.1 // indirect
	github.com/tidwall/pretty v1.2.0 // indirect
	golang.org/x/sys v0.45.0 // indirect
	golang.org/x/text v0.14.0 // indirect
)

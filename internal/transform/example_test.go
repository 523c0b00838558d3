package transform_test

import (
	"context"
	"fmt"

	"github.com/hookstream-go/hookstream/internal/transform"
)

func Example() {
	c, err := transform.NewCache(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := c.Compile(`{"id": order.id, "email": $lowercase(order.email), "note": order.note}`)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := p.Eval(context.Background(), []byte(`{"order": {"id": 7, "email": "ADA@EXAMPLE.COM", "note": null}}`))
	fmt.Println(string(out), err)

	_, err = c.Compile(`($f := function($n){ $f($n + 1) }; $f(0))`)
	fmt.Println(err)
	// Output:
	// {"email":"ada@example.com","id":7,"note":null} <nil>
	// transform: recursive function $f is not allowed
}

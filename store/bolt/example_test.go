package bolt_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/hookstream-go/hookstream/store"
	"github.com/hookstream-go/hookstream/store/bolt"
)

func Example() {
	dir, err := os.MkdirTemp("", "hookstream")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	s, err := bolt.Open(filepath.Join(dir, "hookstream.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	ctx := context.Background()
	tenant := store.Tenant{OrgID: "org_1", EnvID: "env_1"}
	src := &store.Source{
		Meta: store.Meta{ID: "src_1", OrgID: tenant.OrgID, EnvID: tenant.EnvID, CreatedAt: time.Now()},
		Slug: "shop",
	}
	if err := s.Create(ctx, src); err != nil {
		log.Fatal(err)
	}
	found := new(store.Source)
	if err := s.Lookup(ctx, found, store.SlugKey(tenant, "shop")); err != nil {
		log.Fatal(err)
	}
	fmt.Println(found.ID)

	// A second Store cannot open the file while the first holds it.
	_, err = bolt.Open(filepath.Join(dir, "hookstream.db"), &bolt.Options{Timeout: 10 * time.Millisecond})
	fmt.Println(errors.Is(err, bolt.ErrLocked))
	// Output:
	// src_1
	// true
}

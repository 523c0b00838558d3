package hookstream

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadBody(t *testing.T) {
	body := strings.Repeat("abcdefghij", 10) // 100 bytes
	for _, c := range []struct {
		name        string
		r           io.Reader
		size, limit int64
		want        string
	}{
		{"declared size", strings.NewReader(body), 100, 1000, body},
		{"unknown size", strings.NewReader(body), -1, 1000, body},
		{"empty", strings.NewReader(""), 0, 1000, ""},
		{"longer than declared", strings.NewReader(body), 10, 1000, body},
		{"shorter than declared", strings.NewReader(body[:40]), 100, 1000, body[:40]},
		{"declared over the limit", strings.NewReader(body), 100, 50, body[:51]},
		{"longer than declared, over the limit", strings.NewReader(body), 10, 50, body[:51]},
		{"one byte at a time", iotest.OneByteReader(strings.NewReader(body)), 100, 1000, body},
		{"data with EOF", iotest.DataErrReader(strings.NewReader(body)), 100, 1000, body},
		{"empty reads", &emptyReads{r: strings.NewReader(body)}, 50, 1000, body},
		{"declared over maxPresized", strings.NewReader(body), maxPresized + 1, 1 << 20, body},
	} {
		got, err := readBody(c.r, c.size, c.limit)
		if err != nil || string(got) != c.want {
			t.Errorf("%s: readBody = %q (%d bytes), %v; want %d bytes", c.name, got, len(got), err, len(c.want))
		}
	}
	boom := errors.New("boom")
	if _, err := readBody(io.MultiReader(strings.NewReader(body[:20]), iotest.ErrReader(boom)), 100, 1000); !errors.Is(err, boom) {
		t.Errorf("a failing reader: %v, want boom", err)
	}
	if _, err := readBody(io.MultiReader(strings.NewReader(body), iotest.ErrReader(boom)), 100, 1000); !errors.Is(err, boom) {
		t.Errorf("a reader failing after its declared size: %v, want boom", err)
	}
	if got, _ := readBody(bytes.NewReader(nil), 0, 10); got == nil || len(got) != 0 {
		t.Errorf("an empty body read as %#v, want an empty slice", got)
	}
}

// emptyReads returns (0, nil) before every read of its reader.
type emptyReads struct {
	r    io.Reader
	skip bool
}

func (e *emptyReads) Read(p []byte) (int, error) {
	e.skip = !e.skip
	if e.skip {
		return 0, nil
	}
	return e.r.Read(p)
}

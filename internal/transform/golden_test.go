package transform

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// testEvalGolden evaluates each testdata/golden/<name>.jsonata
// against <name>.json (or testdata/order.json) and compares the result
// with <name>.golden: indented JSON, or "error: <message>". Run with
// -update to rewrite the golden files.
func testEvalGolden(t *testing.T) {
	t.Parallel()
	exprs, err := filepath.Glob(filepath.Join("testdata", "golden", "*.jsonata"))
	if err != nil {
		t.Fatal(err)
	}
	if len(exprs) == 0 {
		t.Fatal("no golden cases")
	}
	for _, file := range exprs {
		name := strings.TrimSuffix(filepath.Base(file), ".jsonata")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			expr := readFile(t, file)
			inputFile := strings.TrimSuffix(file, ".jsonata") + ".json"
			if _, err := os.Stat(inputFile); err != nil {
				inputFile = filepath.Join("testdata", "order.json")
			}
			input := readFile(t, inputFile)

			var got []byte
			out, err := eval(t, string(expr), string(input))
			if err != nil {
				got = []byte("error: " + err.Error() + "\n")
			} else {
				var b bytes.Buffer
				if err := json.Indent(&b, []byte(out), "", "  "); err != nil {
					t.Fatalf("result is not JSON: %v\n%s", err, out)
				}
				b.WriteByte('\n')
				got = b.Bytes()
			}

			golden := strings.TrimSuffix(file, ".jsonata") + ".golden"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if want := readFile(t, golden); !bytes.Equal(got, want) {
				t.Errorf("result:\n%s\nwant (%s):\n%s", got, golden, want)
			}
		})
	}
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

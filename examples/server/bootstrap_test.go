//go:build unix

package main

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// firstStartKey is the key the server prints on first start.
var firstStartKey = regexp.MustCompile(`shown only once\):\n\n  (hs_live_[0-9a-f]{64})\n`)

// TestServer_FirstStartKey checks that a first start without -api-key
// creates and prints a key only once it listens: a start that cannot
// listen (the port is taken) prints none and creates none, the next start
// prints the one org key the database then has, and later starts print
// nothing.
func TestServer_FirstStartKey(t *testing.T) {
	bin := crashBuild(t)
	db := filepath.Join(t.TempDir(), "hookstream.db")

	// The port is taken: the start fails, without a key.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cmd := exec.Command(bin, "-addr", taken.Addr().String(), "-db", db)
	cmd.Env = walkthroughEnv()
	var stdout, stderr crashLog
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err == nil {
		t.Fatalf("the server started on a taken port\n%s", &stderr)
	}
	if !strings.Contains(stderr.String(), "address already in use") {
		t.Errorf("stderr of the failed start does not say why:\n%s", &stderr)
	}
	if out := stdout.String(); out != "" {
		t.Errorf("the failed start printed %q, want nothing", out)
	}

	// The next start prints a key, which works and is the only one.
	g := bootstrapStart(t, bin, db)
	m := firstStartKey.FindStringSubmatch(g.output(t))
	if m == nil {
		t.Fatalf("the first start that listens printed no key:\n%s", g.output(t))
	}
	var keys struct {
		APIKeys []struct {
			KeyPrefix string   `json:"key_prefix"`
			Scopes    []string `json:"scopes"`
		} `json:"api_keys"`
	}
	req, _ := http.NewRequest("GET", "http://"+g.addr+"/v1/auth/api-keys", nil)
	req.Header.Set("X-API-Key", m[1])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(resp.Body).Decode(&keys)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/auth/api-keys with the printed key: %s, %v", resp.Status, err)
	}
	if len(keys.APIKeys) != 1 || keys.APIKeys[0].KeyPrefix != m[1][:12] {
		t.Errorf("keys = %+v, want the printed one alone", keys.APIKeys)
	} else if !slices.Equal(keys.APIKeys[0].Scopes, []string{"org"}) {
		t.Errorf("the first-start key has scopes %q, want [org]", keys.APIKeys[0].Scopes)
	}
	g.stop(t)

	// Later starts print nothing.
	g = bootstrapStart(t, bin, db)
	g.stop(t)
	if out := g.output(t); out != "" {
		t.Errorf("a later start printed %q, want nothing", out)
	}
}

// bootstrapServer is a server process started without -api-key.
type bootstrapServer struct {
	addr   string
	cmd    *exec.Cmd
	stdout string // the file of its standard output
	stderr *crashLog
	exited chan struct{}
}

// bootstrapStart starts the server on db and a free port, and waits until
// it says it listens.
func bootstrapStart(t *testing.T, bin, db string) *bootstrapServer {
	t.Helper()
	g := &bootstrapServer{addr: crashFreeAddr(t), stderr: &crashLog{}, exited: make(chan struct{})}
	// A file, written without a copying goroutine: what the server
	// printed before its listening line is there once the line is seen.
	stdout, err := os.CreateTemp(t.TempDir(), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	g.stdout = stdout.Name()
	g.cmd = exec.Command(bin, "-addr", g.addr, "-db", db)
	g.cmd.Env = walkthroughEnv()
	g.cmd.Stdout, g.cmd.Stderr = stdout, g.stderr
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { g.cmd.Wait(); close(g.exited) }()
	t.Cleanup(func() { g.cmd.Process.Kill(); <-g.exited })
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(g.stderr.String(), crashListenMsg) {
		select {
		case <-g.exited:
			t.Fatalf("the server exited before listening: %v\n%s", g.cmd.ProcessState, g.stderr)
		case <-time.After(10 * time.Millisecond): // polling its log
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not listen within 30 s\n%s", g.stderr)
		}
	}
	return g
}

// output returns what the server has printed on its standard output.
func (g *bootstrapServer) output(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(g.stdout)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// stop ends the server with SIGTERM and waits until it is gone.
func (g *bootstrapServer) stop(t *testing.T) {
	t.Helper()
	if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-g.exited:
	case <-time.After(40 * time.Second):
		t.Fatalf("the server did not stop within 40 s of SIGTERM\n%s", g.stderr)
	}
	if !g.cmd.ProcessState.Success() {
		t.Errorf("server exited with %v after SIGTERM\n%s", g.cmd.ProcessState, g.stderr)
	}
}

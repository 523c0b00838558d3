//go:build unix

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// walkthroughMarker is the first line of the README's walkthrough block.
const walkthroughMarker = "# REST API walkthrough (examples/server/walkthrough_test.go runs this block)"

// TestServer_Walkthrough runs the README's REST API walkthrough with bash,
// against this server and examples/receiver (both built), on free ports,
// and checks that every line it prints matches its "# → " comment, in
// order, and that the receiver saw the delivery, the two failed attempts
// and the manual retry, each with a verified signature. It needs bash,
// curl, jq and openssl, and skips without them.
func TestServer_Walkthrough(t *testing.T) {
	var missing []string
	tools := map[string]string{}
	for _, tool := range []string{"bash", "curl", "jq", "openssl"} {
		path, err := exec.LookPath(tool)
		if err != nil {
			missing = append(missing, tool)
		}
		tools[tool] = path
	}
	if len(missing) > 0 {
		t.Skipf("the README walkthrough needs %s: not installed", strings.Join(missing, ", "))
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	script, err := walkthroughBlock(string(readme))
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	server := crashBuild(t)
	receiver := filepath.Join(t.TempDir(), "receiver")
	if out, err := exec.Command("go", "build", "-o", receiver, "../receiver").CombinedOutput(); err != nil {
		t.Fatalf("go build ../receiver: %v\n%s", err, out)
	}
	built := time.Since(start)
	dir := t.TempDir()
	// The receiver prints into a file of its own, so that what the
	// script prints is only its commands' output, in order.
	receiverOut := filepath.Join(dir, "receiver.out")
	wrapper := filepath.Join(dir, "receiver.sh")
	if err := os.WriteFile(wrapper, fmt.Appendf(nil, "#!/bin/sh\nexec %s \"$@\" >>%s 2>&1\n",
		shellQuote(receiver), shellQuote(receiverOut)), 0o755); err != nil {
		t.Fatal(err)
	}
	addr, receiverAddr := crashFreeAddr(t), crashFreeAddr(t)
	for receiverAddr == addr {
		receiverAddr = crashFreeAddr(t)
	}
	for _, r := range []struct{ old, new string }{
		{"go run ./examples/server", shellQuote(server)},
		{"go run ./examples/receiver", shellQuote(wrapper)},
		{"127.0.0.1:8080", addr},
		{"127.0.0.1:9000", receiverAddr},
	} {
		if !strings.Contains(script, r.old) {
			t.Fatalf("the walkthrough no longer contains %q, which this test replaces", r.old)
		}
		script = strings.ReplaceAll(script, r.old, r.new)
	}
	var want []string
	for line := range strings.SplitSeq(script, "\n") {
		if s, ok := strings.CutPrefix(strings.TrimSpace(line), "# → "); ok {
			want = append(want, s)
		}
	}

	// Whatever happens, the background jobs go with the shell: the trap
	// kills them when it exits, and the whole process group is killed
	// when the test ends. On success the script's own kill stops them and
	// the final wait sees them gone.
	scriptPath := filepath.Join(dir, "walkthrough.sh")
	full := "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + script + "\nwait\n"
	if err := os.WriteFile(scriptPath, []byte(full), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, tools["bash"], scriptPath)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = stdout, stderr // files: Wait does not wait for the background jobs
	cmd.Env = walkthroughEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	runErr := cmd.Wait()
	elapsed := time.Since(start) - built

	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Error(err)
		}
		return string(b)
	}
	got := strings.Split(strings.TrimSuffix(read("stdout"), "\n"), "\n")
	report := func() string {
		return fmt.Sprintf("script output:\n%s\nscript stderr:\n%s\nreceiver output:\n%s\nserver log (walkthrough.log):\n%s",
			read("stdout"), read("stderr"), read("receiver.out"), read("walkthrough.log"))
	}
	if runErr != nil {
		t.Fatalf("the walkthrough failed after %v: %v\n%s", elapsed.Round(time.Millisecond), runErr, report())
	}
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(want):
			t.Errorf("output line %d, %q, has no # → line in the README", i+1, got[i])
		case i >= len(got):
			t.Errorf("README's # → %s: the walkthrough printed no line %d", want[i], i+1)
		case !abbreviated(want[i]).MatchString(got[i]):
			t.Errorf("output line %d:\n got %s\nwant %s", i+1, got[i], want[i])
		}
	}

	// The receiver: the first push delivered, the second answered 500
	// twice (the attempt and its retry), then retried by hand and
	// delivered, each request signed.
	rcv := read("receiver.out")
	var statuses []string
	verified := 0
	sc := bufio.NewScanner(strings.NewReader(rcv))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if s, ok := strings.CutPrefix(line, "→ "); ok {
			statuses = append(statuses, s)
		}
		if strings.HasPrefix(line, "signature verified: HMAC-SHA256 of {timestamp}.{body}") {
			verified++
		}
	}
	if got, want := strings.Join(statuses, " "), "200 500 500 200"; got != want {
		t.Errorf("the receiver answered %q, want %q", got, want)
	}
	if verified != 4 {
		t.Errorf("%d requests with a verified signature at the receiver, want 4", verified)
	}
	if t.Failed() {
		t.Log(report())
	}
	t.Logf("the walkthrough ran in %v (the builds before it took %v)", elapsed.Round(time.Millisecond), built.Round(time.Millisecond))
}

// walkthroughBlock returns the README's walkthrough: the sh block of the
// "REST API walkthrough" section that starts with walkthroughMarker.
func walkthroughBlock(readme string) (string, error) {
	_, section, ok := strings.Cut(readme, "\n## REST API walkthrough\n")
	if !ok {
		return "", errors.New("README.md has no REST API walkthrough section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	_, block, ok := strings.Cut(section, "```sh\n"+walkthroughMarker+"\n")
	if !ok {
		return "", fmt.Errorf("the REST API walkthrough has no sh block starting with %q", walkthroughMarker)
	}
	block, _, ok = strings.Cut(block, "\n```\n")
	if !ok {
		return "", errors.New("the walkthrough's sh block does not end")
	}
	return block, nil
}

// abbreviated matches a README output line in which "…" stands for
// anything.
func abbreviated(want string) *regexp.Regexp {
	parts := strings.Split(want, "…")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$")
}

// walkthroughEnv is the test's environment without HOOKSTREAM_ settings,
// which the server would read.
func walkthroughEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HOOKSTREAM_") {
			env = append(env, kv)
		}
	}
	return env
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestEmbed runs the example and makes the calls its curl lines print:
// the service's own route, an ingest, which the in-process destination
// receives, and a listing of the sources with the printed API key.
func TestEmbed(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "embed")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	t.Cleanup(func() {
		// An interrupt lets it remove its temporary database.
		if cmd.Process.Signal(os.Interrupt) == nil {
			select {
			case <-exited:
				return
			case <-time.After(10 * time.Second):
			}
		}
		cmd.Process.Kill()
		<-exited
	})
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		cmd.Wait()
		close(exited)
	}()
	var printed []string
	next := func(what string) string {
		t.Helper()
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("the example exited before printing %s; it printed:\n%s", what, strings.Join(printed, "\n"))
			}
			printed = append(printed, line)
			return line
		case <-time.After(30 * time.Second):
			t.Fatalf("the example printed no %s within 30 s; it printed:\n%s", what, strings.Join(printed, "\n"))
		}
		return ""
	}

	base := strings.TrimPrefix(next("address"), "my service on ")
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`).MatchString(base) {
		t.Fatalf("first line %q, want my service on http://127.0.0.1:<port>", printed[0])
	}
	hello := regexp.MustCompile(`^  curl (\S+)$`).FindStringSubmatch(next("hello line"))
	ingest := regexp.MustCompile(`^  curl -d '(.*)' (\S+)$`).FindStringSubmatch(next("ingest line"))
	sources := regexp.MustCompile(`^  curl -H 'X-API-Key: (hs_live_[0-9a-f]{64})' (\S+)$`).FindStringSubmatch(next("sources line"))
	if hello == nil || ingest == nil || sources == nil {
		t.Fatalf("the curl lines do not read as expected:\n%s", strings.Join(printed, "\n"))
	}

	call := func(method, url, key, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if key != "" {
			req.Header.Set("X-API-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	if code, body := call("GET", hello[1], "", ""); code != 200 || body != "hello from my service\n" {
		t.Errorf("GET /hello: %d %q", code, body)
	}
	code, body := call("POST", ingest[2], "", ingest[1])
	var ingested struct {
		EventID string `json:"event_id"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &ingested) != nil || ingested.EventID == "" {
		t.Fatalf("ingest: %d %s", code, body)
	}
	code, body = call("GET", sources[2], sources[1], "")
	var list struct {
		Sources []struct {
			Name string `json:"name"`
		} `json:"sources"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &list) != nil || len(list.Sources) != 1 || list.Sources[0].Name != "Orders" {
		t.Errorf("GET /v1/sources with the printed key: %d %s", code, body)
	}
	if code, _ := call("GET", sources[2], "hs_live_"+strings.Repeat("0", 64), ""); code != http.StatusUnauthorized {
		t.Errorf("GET /v1/sources with another key: %d, want 401", code)
	}
	if want, got := "delivered "+ingested.EventID+": "+ingest[1], next("delivery"); got != want {
		t.Errorf("the inbox printed %q, want %q", got, want)
	}
}

package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hookstream-go/hookstream"
	"github.com/hookstream-go/hookstream/store/memory"
)

// TestServer_DashboardBesideAPI checks the server's routing: /v1 is the
// REST API (with its JSON 404s), every other path the dashboard.
func TestServer_DashboardBesideAPI(t *testing.T) {
	t.Parallel()
	s := memory.New()
	defer s.Close()
	router, err := hookstream.New(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer router.Close()
	h := apiAndDashboard(router)
	for _, c := range []struct {
		path, contentType string
		status            int
	}{
		{"/", "text/html; charset=utf-8", 200},
		{"/v1/health", "application/json", 200},
		{"/v1/nope", "application/json", 404},
		{"/v1", "application/json", 404},
		{"/nope", "text/plain; charset=utf-8", 404},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", c.path, nil))
		if w.Code != c.status || !strings.HasPrefix(w.Header().Get("Content-Type"), c.contentType) {
			t.Errorf("GET %s: %d %q, want %d %q", c.path, w.Code, w.Header().Get("Content-Type"), c.status, c.contentType)
		}
		if isDashboard := w.Header().Get("Content-Security-Policy") != ""; isDashboard != !strings.HasPrefix(c.path, "/v1") {
			t.Errorf("GET %s: served by the dashboard %v", c.path, isDashboard)
		}
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/v1/sources", strings.NewReader(`{"name":"x"}`)))
	if w.Code != http.StatusUnauthorized {
		t.Errorf("POST /v1/sources without a key: %d, want 401", w.Code)
	}
}

package hookstream

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"
)

// getDashboard sends one request to h.
func getDashboard(t *testing.T, h http.Handler, method, target string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// checkDashboardHeaders asserts the security headers every dashboard
// response carries.
func checkDashboardHeaders(t *testing.T, what string, w *httptest.ResponseRecorder) {
	t.Helper()
	for name, want := range map[string]string{
		"Content-Security-Policy": dashboardCSP,
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
	} {
		if got := w.Header().Get(name); got != want {
			t.Errorf("%s: %s = %q, want %q", what, name, got, want)
		}
	}
}

var assetRef = regexp.MustCompile(`(?:href|src)="(assets/[0-9a-f]{16}/[^"]+)"`)

func TestDashboard_Index(t *testing.T) {
	t.Parallel()
	d := setup(t, nil).Dashboard()
	for _, target := range []string{"/", "/index.html"} {
		w := getDashboard(t, d, "GET", target, nil)
		if w.Code != 200 || w.Header().Get("Content-Type") != "text/html; charset=utf-8" || w.Header().Get("Cache-Control") != "no-cache" {
			t.Fatalf("GET %s: %d %q %q", target, w.Code, w.Header().Get("Content-Type"), w.Header().Get("Cache-Control"))
		}
		checkDashboardHeaders(t, "GET "+target, w)
		body := w.Body.String()
		if !strings.Contains(body, `<meta name="hookstream-api" content="/v1">`) {
			t.Errorf("GET %s: the page does not name the API at /v1:\n%s", target, body)
		}
		refs := assetRef.FindAllStringSubmatch(body, -1)
		if len(refs) != 3 { // the icon, the style sheet, the entry module
			t.Fatalf("GET %s: asset references %v, want 3", target, refs)
		}
		for _, ref := range refs {
			if a := getDashboard(t, d, "GET", "/"+ref[1], nil); a.Code != 200 {
				t.Errorf("the page's %s: %d", ref[1], a.Code)
			}
		}
	}
	w := getDashboard(t, d, "GET", "/", nil)
	etag := w.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on the page")
	}
	if again := getDashboard(t, d, "GET", "/", http.Header{"If-None-Match": {etag}}); again.Code != http.StatusNotModified {
		t.Errorf("revalidation with the ETag: %d, want 304", again.Code)
	}
	if head := getDashboard(t, d, "HEAD", "/", nil); head.Code != 200 || head.Body.Len() != 0 {
		t.Errorf("HEAD /: %d with %d bytes", head.Code, head.Body.Len())
	}
}

func TestDashboard_Assets(t *testing.T) {
	t.Parallel()
	d := setup(t, nil).Dashboard()
	v := loadDashboardAssets().version
	want := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
	n := 0
	err := fs.WalkDir(dashboardFiles, "dashboard/ui", func(name string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || path.Base(name) == "index.html" {
			return err
		}
		n++
		rel := strings.TrimPrefix(name, "dashboard/ui/")
		w := getDashboard(t, d, "GET", "/assets/"+v+"/"+rel, nil)
		if w.Code != 200 {
			t.Errorf("%s: %d", rel, w.Code)
			return nil
		}
		if got := w.Header().Get("Content-Type"); got != want[path.Ext(rel)] {
			t.Errorf("%s: Content-Type %q, want %q", rel, got, want[path.Ext(rel)])
		}
		if got := w.Header().Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", rel, got)
		}
		checkDashboardHeaders(t, rel, w)
		return nil
	})
	if err != nil || n < 10 {
		t.Fatalf("walked %d assets: %v", n, err)
	}
}

// TestDashboard_ModulesResolve checks every relative import of every
// module names an embedded file: a typo would break the page in a browser
// only.
func TestDashboard_ModulesResolve(t *testing.T) {
	t.Parallel()
	imports := regexp.MustCompile(`(?m)^(?:import|export)\s[^'"]*from\s+'([^']+)'`)
	err := fs.WalkDir(dashboardFiles, "dashboard/ui", func(name string, e fs.DirEntry, err error) error {
		if err != nil || path.Ext(name) != ".js" {
			return err
		}
		src, err := fs.ReadFile(dashboardFiles, name)
		if err != nil {
			return err
		}
		for _, m := range imports.FindAllStringSubmatch(string(src), -1) {
			target := path.Join(path.Dir(name), m[1])
			if !strings.HasPrefix(m[1], ".") {
				t.Errorf("%s imports %q: only relative imports of embedded modules (nothing from elsewhere)", name, m[1])
			} else if _, err := fs.Stat(dashboardFiles, target); err != nil {
				t.Errorf("%s imports %q: no such embedded file", name, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDashboard_NoHTMLFromStrings checks the rule that keeps untrusted
// data (payloads, headers, names) from running as markup: no module builds
// DOM from HTML strings or evaluates code, and the page has no inline
// script or style for the Content-Security-Policy to allow.
func TestDashboard_NoHTMLFromStrings(t *testing.T) {
	t.Parallel()
	forbidden := regexp.MustCompile(`\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(|createContextualFragment|DOMParser`)
	err := fs.WalkDir(dashboardFiles, "dashboard/ui", func(name string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		src, err := fs.ReadFile(dashboardFiles, name)
		if err != nil {
			return err
		}
		if m := forbidden.Find(src); m != nil {
			t.Errorf("%s uses %s", name, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	page := getDashboard(t, setup(t, nil).Dashboard(), "GET", "/", nil).Body.String()
	if regexp.MustCompile(`<script(?:\s+type="module")?>|<script[^>]*>[^<]+</script>|\sstyle=|\son[a-z]+=`).MatchString(page) {
		t.Errorf("the page has inline script or style:\n%s", page)
	}
}

func TestDashboard_MountedUnderPrefix(t *testing.T) {
	t.Parallel()
	r := setup(t, &Config{BaseURL: "https://hooks.example.com/gateway/"})
	mux := http.NewServeMux()
	mux.Handle("/gateway/v1/", http.StripPrefix("/gateway", r.Handler()))
	mux.Handle("/gateway/ui/", http.StripPrefix("/gateway/ui", r.Dashboard()))
	w := getDashboard(t, mux, "GET", "/gateway/ui/", nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `<meta name="hookstream-api" content="/gateway/v1">`) {
		t.Fatalf("GET /gateway/ui/: %d\n%s", w.Code, w.Body)
	}
	ref := assetRef.FindStringSubmatch(w.Body.String())[1]
	if a := getDashboard(t, mux, "GET", "/gateway/ui/"+ref, nil); a.Code != 200 {
		t.Errorf("GET /gateway/ui/%s: %d", ref, a.Code)
	}
	if redirect := getDashboard(t, mux, "GET", "/gateway/ui", nil); redirect.Code/100 != 3 || redirect.Header().Get("Location") != "/gateway/ui/" {
		t.Errorf("GET /gateway/ui: %d to %q, want the mux's redirect to /gateway/ui/", redirect.Code, redirect.Header().Get("Location"))
	}
}

func TestDashboard_UnknownPaths(t *testing.T) {
	t.Parallel()
	d := setup(t, nil).Dashboard()
	v := loadDashboardAssets().version
	for _, target := range []string{
		"/events", "/v1/sources", "/favicon.ico", "/assets/", "/assets/" + v + "/", "/assets/" + v + "/index.html",
		"/assets/0123456789abcdef/js/app.js", "/assets/" + v + "/js/missing.js", "/assets/" + v + "/../index.html",
		"/assets/" + v + "/js//app.js",
	} {
		w := getDashboard(t, d, "GET", target, nil)
		if w.Code != 404 || w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: %d (Cache-Control %q), want 404 not cached", target, w.Code, w.Header().Get("Cache-Control"))
		}
		checkDashboardHeaders(t, target, w)
	}
	for _, method := range []string{"POST", "PUT", "DELETE"} {
		w := getDashboard(t, d, method, "/", nil)
		if w.Code != 405 || w.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s /: %d Allow %q", method, w.Code, w.Header().Get("Allow"))
		}
	}
}

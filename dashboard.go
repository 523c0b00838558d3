package hookstream

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
	"sync"
	"time"
)

// The dashboard is plain HTML, CSS and JavaScript modules in dashboard/ui,
// embedded as they are: no build step, nothing fetched from elsewhere. It
// talks to the REST API only, with the API key the viewer signs in with.
//
//go:embed dashboard/ui
var dashboardFiles embed.FS

// dashboardCSP is the Content-Security-Policy of every dashboard response:
// scripts, styles and connections from the dashboard's own origin only, no
// inline script or style, no frames, no plugins.
const dashboardCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Dashboard returns an http.Handler serving a web dashboard of the Router:
// an overview of volume, success rate and latency, the events with their
// deliveries and attempts, dead letters to retry, the configuration
// (sources, destinations, connections, topics, subscriptions), a
// playground for filter rules and transforms on stored events, and a live
// tail. Mount it under any prefix that ends in a slash:
//
//	mux.Handle("/v1/", router.Handler())
//	mux.Handle("/hooks/", http.StripPrefix("/hooks", router.Dashboard()))
//
// The dashboard is a client of the REST API and of nothing else: a viewer
// signs in with an API key (kept in the browser tab's session storage) or
// through the embedder's Config.Authenticator (a session cookie), and sees
// and does what that key may through the API. It calls the API at the path
// of Config.BaseURL followed by /v1 ("/v1" without a BaseURL), on the
// dashboard's own origin.
//
// The page is served at the mount point itself; its scripts and styles
// under assets/<version>/, cacheable for ever (the version is a hash of
// every file). Every response carries a strict Content-Security-Policy.
func (r *Router) Dashboard() http.Handler {
	apiBase := "/v1"
	if u, err := url.Parse(r.cfg.BaseURL); err == nil && r.cfg.BaseURL != "" {
		apiBase = strings.TrimSuffix(u.Path, "/") + "/v1"
	}
	return &dashboard{assets: loadDashboardAssets(), apiBase: apiBase}
}

// dashboard serves the page and its assets.
type dashboard struct {
	assets  *dashboardAssets
	apiBase string
}

func (d *dashboard) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", dashboardCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "Method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := req.URL.Path
	if p == "/" || p == "" || p == "/index.html" {
		d.serveIndex(w, req)
		return
	}
	name, ok := strings.CutPrefix(p, "/assets/"+d.assets.version+"/")
	body, found := d.assets.files[name]
	if !ok || !found {
		h.Set("Cache-Control", "no-store")
		http.Error(w, "Not found", http.StatusNotFound)
		return
	}
	h.Set("Content-Type", body.contentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeContent(w, req, "", time.Time{}, bytes.NewReader(body.data))
}

// serveIndex serves the page, which names the API's path and the assets'
// version; it is revalidated on every load, so a new version of the
// library takes effect at once.
func (d *dashboard) serveIndex(w http.ResponseWriter, req *http.Request) {
	var buf bytes.Buffer
	if err := d.assets.index.Execute(&buf, map[string]string{"APIBase": d.apiBase, "Assets": "assets/" + d.assets.version}); err != nil {
		http.Error(w, "Internal server error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	sum := sha256.Sum256(buf.Bytes())
	h.Set("ETag", `"`+hex.EncodeToString(sum[:8])+`"`)
	http.ServeContent(w, req, "", time.Time{}, bytes.NewReader(buf.Bytes()))
}

// dashboardAssets are the embedded files, read once.
type dashboardAssets struct {
	index *template.Template
	// files are the assets by their path under dashboard/ui.
	files map[string]dashboardAsset
	// version is a hash of every asset, the path segment they are served
	// under.
	version string
}

type dashboardAsset struct {
	data        []byte
	contentType string
}

var loadDashboardAssets = sync.OnceValue(func() *dashboardAssets {
	root, err := fs.Sub(dashboardFiles, "dashboard/ui")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	a := &dashboardAssets{files: map[string]dashboardAsset{}}
	var names []string
	err = fs.WalkDir(root, ".", func(name string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		data, err := fs.ReadFile(root, name)
		if err != nil {
			return err
		}
		if name == "index.html" {
			a.index, err = template.New(name).Parse(string(data))
			return err
		}
		a.files[name] = dashboardAsset{data: data, contentType: assetType(name)}
		names = append(names, name)
		return nil
	})
	if err == nil && a.index == nil {
		err = fs.ErrNotExist
	}
	if err != nil {
		panic("hookstream: the embedded dashboard is broken: " + err.Error())
	}
	sort.Strings(names)
	sum := sha256.New()
	for _, name := range names {
		sum.Write([]byte(name + "\x00"))
		sum.Write(a.files[name].data)
		sum.Write([]byte{0})
	}
	a.version = hex.EncodeToString(sum.Sum(nil))[:16]
	return a
})

// assetType is the Content-Type of an asset, by its extension.
func assetType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

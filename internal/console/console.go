// Package console is the care console: the web page care agents use, served
// by the binary under /console/ as ThunderUI sits on Thunder's JSON-RPC.
// Its files are embedded (HTML, CSS and JavaScript modules, no build step
// and nothing fetched from elsewhere); the page logs in at /care/login and
// then speaks the JSON-RPC plane over one WebSocket to /jsonrpc.
package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strings"
	"time"
)

// Where the console is served.
const (
	Root   = "/console"  // redirected to Prefix
	Prefix = "/console/" // index.html, and the files beside it
)

// Routes of the console.
const (
	RootRoute  = "GET " + Root
	IndexRoute = "GET " + Prefix
	FileRoute  = "GET " + Prefix + "{file}"
)

//go:embed static
var static embed.FS

// types are the Content-Types of the console's files, by extension; a
// file of any other kind is not served.
var types = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
}

type file struct {
	body        []byte
	contentType string
	etag        string
}

// Handler serves the console's files.
type Handler struct {
	files map[string]file // by name, "index.html" included
}

// New reads the embedded files.
func New() *Handler {
	return newHandler(static)
}

func newHandler(fsys fs.FS) *Handler {
	h := &Handler{files: map[string]file{}}
	entries, err := fs.ReadDir(fsys, "static")
	if err != nil {
		panic("console: the embedded files cannot be read: " + err.Error())
	}
	for _, e := range entries {
		ct, ok := types[path.Ext(e.Name())]
		if e.IsDir() || !ok {
			continue
		}
		body, err := fs.ReadFile(fsys, "static/"+e.Name())
		if err != nil {
			panic("console: " + err.Error())
		}
		sum := sha256.Sum256(body)
		h.files[e.Name()] = file{body: body, contentType: ct, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	}
	if _, ok := h.files["index.html"]; !ok {
		panic("console: index.html is not embedded")
	}
	return h
}

// Routes returns the ServeMux patterns of the console under Prefix: the
// page and each file beside it; anything else under Prefix is answered
// 404, and another method than GET or HEAD 405. Mounted at Root as well,
// the handler answers RootRoute with a redirect to Prefix.
func (h *Handler) Routes() []string { return []string{IndexRoute, FileRoute} }

// Files lists the names of the files served under Prefix.
func (h *Handler) Files() []string {
	names := make([]string, 0, len(h.files))
	for name := range h.files {
		names = append(names, name)
	}
	return names
}

// ServeHTTP answers Root and the paths under Prefix. Every answer, errors
// and the redirect included, carries the security headers.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	secure(w.Header(), r)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		plain(w, http.StatusMethodNotAllowed, "Method Not Allowed\n")
		return
	}
	if r.URL.Path == Root {
		w.Header().Set("Location", Prefix)
		plain(w, http.StatusMovedPermanently, "Moved Permanently: "+Prefix+"\n")
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok {
		plain(w, http.StatusNotFound, "404 page not found\n")
		return
	}
	if name == "" {
		name = "index.html"
	}
	f, ok := h.files[name]
	if !ok {
		plain(w, http.StatusNotFound, "404 page not found\n")
		return
	}
	w.Header().Set("Content-Type", f.contentType)
	w.Header().Set("ETag", f.etag)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.body))
}

func plain(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(body))
}

// hostPattern is a Host the policy may name: a DNS name or an IPv4
// address, or a bracketed IPv6 address, with an optional port. Anything
// else (a Host crafted to add a directive) is left out of the policy.
var hostPattern = regexp.MustCompile(`^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$`)

// Policy is the Content-Security-Policy of every answer: nothing inline,
// nothing from elsewhere, and connections only to this origin and its
// WebSocket (ws://, or wss:// behind TLS), which the plane is on.
func Policy(r *http.Request) string {
	connect := "'self'"
	if hostPattern.MatchString(r.Host) {
		scheme := "ws://"
		if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
			scheme = "wss://"
		}
		connect += " " + scheme + strings.ToLower(r.Host)
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src " + connect +
		"; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

func secure(h http.Header, r *http.Request) {
	h.Set("Content-Security-Policy", Policy(r))
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
}

package console_test

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"carebridge/internal/console"
)

// serve answers one request with the console's handler.
func serve(t *testing.T, method, target string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	console.New().ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const wantPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self' ws://example.com; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// checkHeaders holds an answer to the security headers every answer
// carries.
func checkHeaders(t *testing.T, what string, res *http.Response) {
	t.Helper()
	for name, want := range map[string]string{
		"Content-Security-Policy": wantPolicy,
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"Cache-Control":           "no-cache",
	} {
		if got := res.Header.Get(name); got != want {
			t.Errorf("%s: %s = %q, want %q", what, name, got, want)
		}
	}
}

func TestEveryAnswerCarriesTheSecurityHeaders(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		method, target string
		status         int
	}{
		{"GET", "/console/", 200},
		{"HEAD", "/console/", 200},
		{"GET", "/console/index.html", 200},
		{"GET", "/console/app.js", 200},
		{"GET", "/console/rpc.js", 200},
		{"GET", "/console/style.css", 200},
		{"GET", "/console", 301},
		{"HEAD", "/console", 301},
		{"GET", "/console/nothing.js", 404},
		{"GET", "/console/static/app.js", 404},
		{"GET", "/console/../go.mod", 404},
		{"GET", "/elsewhere", 404},
		{"POST", "/console/", 405},
		{"DELETE", "/console/app.js", 405},
		{"PUT", "/console", 405},
	} {
		res := serve(t, c.method, "http://example.com"+c.target)
		what := c.method + " " + c.target
		if res.StatusCode != c.status {
			t.Errorf("%s: HTTP %d, want %d", what, res.StatusCode, c.status)
		}
		checkHeaders(t, what, res)
		if c.status == 405 {
			if allow := res.Header.Get("Allow"); allow != "GET, HEAD" {
				t.Errorf("%s: Allow = %q, want GET, HEAD", what, allow)
			}
		}
	}
}

func TestFilesAreServedWithTheirTypes(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"":           "text/html; charset=utf-8",
		"index.html": "text/html; charset=utf-8",
		"app.js":     "text/javascript; charset=utf-8",
		"rpc.js":     "text/javascript; charset=utf-8",
		"format.js":  "text/javascript; charset=utf-8",
		"style.css":  "text/css; charset=utf-8",
		"icon.svg":   "image/svg+xml",
	}
	for name, ct := range want {
		res := serve(t, "GET", "/console/"+name)
		b := body(t, res)
		if res.StatusCode != http.StatusOK || b == "" {
			t.Errorf("GET /console/%s: HTTP %d, %d bytes", name, res.StatusCode, len(b))
			continue
		}
		if got := res.Header.Get("Content-Type"); got != ct {
			t.Errorf("GET /console/%s: Content-Type %q, want %q", name, got, ct)
		}
		if res.Header.Get("ETag") == "" {
			t.Errorf("GET /console/%s: no ETag", name)
		}
	}
	// Every embedded file is one the test knows the type of.
	for _, name := range console.New().Files() {
		if _, ok := want[name]; !ok {
			t.Errorf("%s is served but not checked here", name)
		}
	}
}

func TestIndexIsThePage(t *testing.T) {
	t.Parallel()
	root, index := serve(t, "GET", "/console/"), serve(t, "GET", "/console/index.html")
	if a, b := body(t, root), body(t, index); a != b || !strings.Contains(a, "<title>") {
		t.Error("/console/ is not index.html")
	}
}

func TestRootRedirects(t *testing.T) {
	t.Parallel()
	res := serve(t, "GET", "/console")
	if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/console/" {
		t.Errorf("GET /console: HTTP %d to %q, want 301 to /console/", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestHeadHasNoBody(t *testing.T) {
	t.Parallel()
	get, head := serve(t, "GET", "/console/app.js"), serve(t, "HEAD", "/console/app.js")
	if b := body(t, head); b != "" {
		t.Errorf("HEAD answered %d bytes of body", len(b))
	}
	if head.StatusCode != 200 || head.Header.Get("Content-Length") != get.Header.Get("Content-Length") ||
		head.Header.Get("Content-Type") != get.Header.Get("Content-Type") {
		t.Errorf("HEAD: HTTP %d, %q, %q; GET: %q, %q", head.StatusCode,
			head.Header.Get("Content-Length"), head.Header.Get("Content-Type"),
			get.Header.Get("Content-Length"), get.Header.Get("Content-Type"))
	}
}

func TestNotModified(t *testing.T) {
	t.Parallel()
	first := serve(t, "GET", "/console/style.css")
	again := serve(t, "GET", "/console/style.css", "If-None-Match", first.Header.Get("ETag"))
	if again.StatusCode != http.StatusNotModified {
		t.Errorf("GET with the ETag: HTTP %d, want 304", again.StatusCode)
	}
	checkHeaders(t, "304", again)
}

// The WebSocket source follows the request's Host and scheme; a Host that
// is no host name is left out rather than written into the policy.
func TestPolicyNamesTheSocketOfTheHost(t *testing.T) {
	t.Parallel()
	connect := func(r *http.Request) string {
		for _, d := range strings.Split(console.Policy(r), "; ") {
			if v, ok := strings.CutPrefix(d, "connect-src "); ok {
				return v
			}
		}
		return ""
	}
	r := httptest.NewRequest("GET", "/console/", nil)
	r.Host = "127.0.0.1:8080"
	if got := connect(r); got != "'self' ws://127.0.0.1:8080" {
		t.Errorf("plain HTTP: connect-src %s", got)
	}
	r.TLS = &tls.ConnectionState{}
	r.Host = "care.example.com"
	if got := connect(r); got != "'self' wss://care.example.com" {
		t.Errorf("TLS: connect-src %s", got)
	}
	r.TLS = nil
	r.Header.Set("X-Forwarded-Proto", "https")
	r.Host = "[::1]:8443"
	if got := connect(r); got != "'self' wss://[::1]:8443" {
		t.Errorf("behind a TLS proxy: connect-src %s", got)
	}
	for _, host := range []string{"x;script-src:*", "a'b", "", "x y"} {
		r.Host = host
		if got := connect(r); got != "'self'" {
			t.Errorf("Host %q: connect-src %s, want 'self' alone", host, got)
		}
	}
}

var (
	inlineScript  = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)
	styleElement  = regexp.MustCompile(`(?i)<style\b`)
	styleAttr     = regexp.MustCompile(`(?i)\sstyle\s*=`)
	handlerAttr   = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	javascriptURL = regexp.MustCompile(`(?i)javascript:`)
	reference     = regexp.MustCompile(`(?i)\s(?:src|href)\s*=\s*"([^"]*)"`)
	importFrom    = regexp.MustCompile(`(?m)^\s*import\b[^'"]*['"]([^'"]+)['"]`)
)

// Nothing inline (the policy would refuse it), and every file the page
// or a module names is served.
func TestNothingInlineAndEveryReferenceExists(t *testing.T) {
	t.Parallel()
	h := console.New()
	files := h.Files()
	for _, name := range files {
		text := body(t, serve(t, "GET", "/console/"+name))
		switch {
		case strings.HasSuffix(name, ".html"):
			for _, m := range inlineScript.FindAllStringSubmatch(text, -1) {
				if strings.TrimSpace(m[2]) != "" || !strings.Contains(m[1], "src=") {
					t.Errorf("%s has an inline <script>", name)
				}
			}
			if styleElement.MatchString(text) {
				t.Errorf("%s has a <style> element", name)
			}
			if styleAttr.MatchString(text) {
				t.Errorf("%s has a style= attribute", name)
			}
			if handlerAttr.MatchString(text) {
				t.Errorf("%s has an inline event handler (on…=)", name)
			}
			if javascriptURL.MatchString(text) {
				t.Errorf("%s has a javascript: URL", name)
			}
			for _, m := range reference.FindAllStringSubmatch(text, -1) {
				ref := m[1]
				if strings.HasPrefix(ref, "#") {
					continue
				}
				if strings.Contains(ref, ":") || strings.HasPrefix(ref, "/") {
					t.Errorf("%s names %q, not a file beside it", name, ref)
					continue
				}
				if !slices.Contains(files, ref) {
					t.Errorf("%s names %q, which is not served", name, ref)
				}
			}
		case strings.HasSuffix(name, ".js"):
			for _, m := range importFrom.FindAllStringSubmatch(text, -1) {
				ref, ok := strings.CutPrefix(m[1], "./")
				if !ok || !slices.Contains(files, ref) {
					t.Errorf("%s imports %q, which is not a file beside it", name, m[1])
				}
			}
			if strings.Contains(text, "innerHTML") || strings.Contains(text, "outerHTML") || strings.Contains(text, "insertAdjacentHTML") {
				t.Errorf("%s writes HTML from strings; the console builds DOM nodes", name)
			}
			for _, store := range []string{"localStorage", "sessionStorage", "document.cookie"} {
				if strings.Contains(text, store) {
					t.Errorf("%s uses %s; the session's token lives in memory only", name, store)
				}
			}
			if strings.Contains(text, "http://") || strings.Contains(text, "https://") {
				t.Errorf("%s names another origin", name)
			}
		case strings.HasSuffix(name, ".css"):
			if strings.Contains(text, "@import") || strings.Contains(text, "url(") {
				t.Errorf("%s loads something", name)
			}
		}
	}
	if !slices.Contains(files, "app.js") || !slices.Contains(files, "rpc.js") || !slices.Contains(files, "style.css") {
		t.Errorf("files %v: want app.js, rpc.js and style.css among them", files)
	}
}

// The labels and buttons the console's users, and its browser tests,
// rely on.
func TestTheAccessibleNames(t *testing.T) {
	t.Parallel()
	page := body(t, serve(t, "GET", "/console/"))
	for _, want := range []string{
		`<label for="login-organisation">Organisation</label>`,
		`<label for="login-username">Username</label>`,
		`<label for="login-password">Password</label>`,
		`>Log in</button>`,
		`>Log out</button>`,
		`<label for="search-query">Customer</label>`,
		`>Search</button>`,
		`<label for="reason-input">Reason</label>`,
		`>Confirm</button>`,
		`>Close</button>`,
		`>Copy</button>`,
		`role="alert"`,
		`aria-live="polite"`,
		`<dialog id="reason-dialog"`,
		`<dialog id="token-dialog"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	for _, id := range regexp.MustCompile(`<label for="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		if !strings.Contains(page, `id="`+id[1]+`"`) {
			t.Errorf("a label is for %q, which no element is", id[1])
		}
	}
	app := body(t, serve(t, "GET", "/console/app.js"))
	for _, want := range []string{"'Suspend'", "'Unsuspend'", "'Cancel subscription'", "'Re-issue activation token'",
		"Your session has ended. Log in again.", "The Netflix service is deactivated; actions are unavailable until it is back."} {
		if !strings.Contains(app, want) {
			t.Errorf("app.js lacks %s", want)
		}
	}
}

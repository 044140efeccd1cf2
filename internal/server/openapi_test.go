package server_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"carebridge/docs"
	"carebridge/internal/apitest"
	"carebridge/internal/careapi"
	"carebridge/internal/console"
	"carebridge/internal/crmapi"
	"carebridge/internal/ocpapi"
	"carebridge/internal/partnerapi"
	"carebridge/internal/rpcapi"
	"carebridge/internal/server"
)

// The document is served to anyone, byte for byte as docs/openapi.json
// (the file, not only what the binary embeds), and answers only GET.
func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	file, err := os.ReadFile("../../docs/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(file, docs.OpenAPI) {
		t.Fatal("docs.OpenAPI is not docs/openapi.json")
	}
	srv, _ := newServer(t, server.Config{})
	ts := httptest.NewServer(srv.Handler)
	defer ts.Close()
	client := apitest.Client(t)

	res, err := client.Get(ts.URL + server.OpenAPIPath)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || !bytes.Equal(body, file) {
		t.Fatalf("GET %s: HTTP %d, %d bytes; want 200 and docs/openapi.json's %d bytes", server.OpenAPIPath, res.StatusCode, len(body), len(file))
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if cl := res.Header.Get("Content-Length"); cl != strconv.Itoa(len(file)) {
		t.Errorf("Content-Length = %q, want %d", cl, len(file))
	}
	if o := res.Header.Get("Access-Control-Allow-Origin"); o != "*" {
		t.Errorf("Access-Control-Allow-Origin = %q, want * (a public document)", o)
	}
	req, _ := http.NewRequest(http.MethodPost, ts.URL+server.OpenAPIPath, strings.NewReader("{}"))
	res, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST %s: HTTP %d, want 405", server.OpenAPIPath, res.StatusCode)
	}
}

// The operations routes' live answers conform to the document, and so do
// the answers to what no route takes (checked by the client).
func TestOpenAPIOperationsRoutesAnswerAsDescribed(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, server.Config{})
	ts := httptest.NewServer(srv.Handler)
	defer ts.Close()
	client := apitest.Client(t)
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/healthz", 200},
		{"HEAD", "/healthz", 200},
		{"GET", "/readyz", 200},
		{"GET", "/metrics", 200},
		{"GET", "/openrpc.json", 200},
		{"GET", "/openapi.json", 200},
		{"POST", "/healthz", 405},
		{"GET", "/nothing", 404},
		{"GET", "/crmapi/rest/v2/nothing", 404},
		{"GET", "/crmapi/rest/v2/authentication/token", 405},
		{"GET", "/v1/nothing", 404},
		{"DELETE", "/v1/ocp/customers/1649", 405},
		{"GET", "/v1/oauth/token", 405},
		{"GET", "/partner/netflix/v1/charges", 405},
		{"GET", "/care/login", 405},
		{"HEAD", "/care/logout", 405},
		{"GET", "/care/nothing", 404},
		{"GET", "/console/", 200},
		{"HEAD", "/console/", 200},
		{"GET", "/console/app.js", 200},
		{"GET", "/console/style.css", 200},
		{"GET", "/console/nothing.js", 404},
		{"GET", "/console/a/b", 404},
		{"POST", "/console/", 405},
		{"POST", "/console", 405},
		{"GET", "/console", 200}, // after the redirect, which the client checks too
	} {
		req, err := http.NewRequest(c.method, ts.URL+c.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != c.status {
			t.Errorf("%s %s: HTTP %d, want %d", c.method, c.path, res.StatusCode, c.status)
		}
	}
}

// Every route the server registers is in the document, and every
// operation in the document is a registered route.
//
// The server's own patterns are those it registered (Server.Routes), so a
// route added without its description fails here. A face mounted on a prefix contributes the
// patterns its handler registers (Routes). The JSON-RPC plane at /jsonrpc
// is left out on purpose: it is JSON-RPC 2.0 over HTTP POST and WebSocket,
// one path for every method, which OpenAPI cannot describe method by
// method; the OpenRPC document (docs/openrpc.json, served at /openrpc.json)
// describes it and its own tests hold it to the dispatcher.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	discard := slog.New(slog.DiscardHandler)
	faces := map[string][]string{
		crmapi.Prefix:   crmapi.New(nil, nil, nil, nil, discard).Routes(),
		ocpapi.Prefix:   ocpapi.New(nil, nil, "", discard).Routes(),
		partnerapi.Path: partnerapi.New(nil, nil, nil, nil, discard).Routes(),
		careapi.Prefix:  careapi.New(nil, nil, discard).Routes(),
		console.Prefix:  console.New().Routes(),
		// The console's root, mounted for the redirect to its page.
		console.Root: {console.RootRoute},
	}
	plane := map[string]bool{rpcapi.Prefix: true, rpcapi.Prefix + "/": true}

	registered := map[string]bool{}
	mounted := map[string]bool{}
	srv, _ := newServer(t, server.Config{})
	for _, pattern := range srv.Routes() {
		method, path, hasMethod := strings.Cut(pattern, " ")
		switch {
		case hasMethod:
			registered[method+" "+path] = true
		case plane[pattern]:
			mounted[pattern] = true
		case faces[pattern] != nil:
			mounted[pattern] = true
			for _, route := range faces[pattern] {
				_, p, ok := strings.Cut(route, " ")
				if !ok || !strings.HasPrefix(p, pattern) {
					t.Errorf("the face mounted at %s registers %q, which is not a method and a path under it", pattern, route)
				}
				registered[route] = true
			}
		default:
			t.Errorf("server.New mounts %q for every method, and it is neither a face with Routes nor the JSON-RPC plane", pattern)
		}
	}
	for prefix := range faces {
		if !mounted[prefix] {
			t.Errorf("the face of %s is not mounted by server.New", prefix)
		}
	}
	for p := range plane {
		if !mounted[p] {
			t.Errorf("the JSON-RPC plane is not mounted at %s any more: update this test", p)
		}
	}

	described := map[string]bool{}
	spec := apitest.Document(t).Spec()
	for path, item := range spec.Paths.Map() {
		if path == rpcapi.Prefix || strings.HasPrefix(path, rpcapi.Prefix+"/") {
			t.Errorf("the document describes %s, the JSON-RPC plane, which the OpenRPC document describes", path)
		}
		for method := range item.Operations() {
			described[method+" "+path] = true
		}
	}
	for _, r := range sortedKeys(registered) {
		if !described[r] {
			t.Errorf("%s is registered but not in docs/openapi.json", r)
		}
	}
	for _, d := range sortedKeys(described) {
		if !registered[d] {
			t.Errorf("docs/openapi.json describes %s, which the server does not register", d)
		}
	}
	if len(registered) < 20 {
		t.Errorf("only %d routes found: %s", len(registered), sortedKeys(registered))
	}
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

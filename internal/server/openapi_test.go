package server_test

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"carebridge/docs"
	"carebridge/internal/apitest"
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
// The server's own patterns are read from the source of server.New (each
// mux.Handle and mux.HandleFunc, their pattern expressions evaluated from
// the constants they name), so a route added there without its
// description fails here. A face mounted on a prefix contributes the
// patterns its handler registers (Routes). The JSON-RPC plane at /jsonrpc
// is left out on purpose: it is JSON-RPC 2.0 over HTTP POST and WebSocket,
// one path for every method, which OpenAPI cannot describe method by
// method; the OpenRPC document (docs/openrpc.json, served at /openrpc.json)
// describes it and its own tests hold it to the dispatcher.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	discard := slog.New(slog.DiscardHandler)
	faces := map[string][]string{
		crmapi.Prefix:   crmapi.New(nil, nil, nil, discard).Routes(),
		ocpapi.Prefix:   ocpapi.New(nil, nil, "", discard).Routes(),
		partnerapi.Path: partnerapi.New(nil, nil, nil, nil, discard).Routes(),
	}
	plane := map[string]bool{rpcapi.Prefix: true, rpcapi.Prefix + "/": true}

	registered := map[string]bool{}
	mounted := map[string]bool{}
	for _, pattern := range serverPatterns(t) {
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

// serverPatterns returns the pattern of every mux.Handle and
// mux.HandleFunc call in server.New, evaluated.
func serverPatterns(t *testing.T) []string {
	t.Helper()
	ev := &constEvaluator{fset: token.NewFileSet(), pkgs: map[string]*parsedPkg{}}
	pkg := ev.parse(t, ".")
	var patterns []string
	found := false
	for _, f := range pkg.files {
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || fn.Name.Name != "New" {
				continue
			}
			found = true
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) == 0 {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
					return true
				}
				if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "mux" {
					return true
				}
				p, err := ev.eval(t, f, pkg, call.Args[0])
				if err != nil {
					t.Fatalf("%s: %v", ev.fset.Position(call.Pos()), err)
				}
				patterns = append(patterns, p)
				return true
			})
		}
	}
	if !found || len(patterns) == 0 {
		t.Fatal("no mux.Handle or mux.HandleFunc call found in server.New")
	}
	return patterns
}

type parsedPkg struct {
	files  []*ast.File
	consts map[string]constSpec
}

type constSpec struct {
	file  *ast.File
	value ast.Expr
}

// constEvaluator evaluates the string constant expressions of patterns:
// literals, +, and constants of this package or of carebridge's packages.
type constEvaluator struct {
	fset *token.FileSet
	pkgs map[string]*parsedPkg // by directory
}

func (ev *constEvaluator) parse(t *testing.T, dir string) *parsedPkg {
	t.Helper()
	if p, ok := ev.pkgs[dir]; ok {
		return p
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	p := &parsedPkg{consts: map[string]constSpec{}}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(ev.fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		p.files = append(p.files, f)
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i < len(vs.Values) {
						p.consts[n.Name] = constSpec{file: f, value: vs.Values[i]}
					}
				}
			}
		}
	}
	ev.pkgs[dir] = p
	return p
}

func (ev *constEvaluator) eval(t *testing.T, f *ast.File, pkg *parsedPkg, e ast.Expr) (string, error) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.STRING {
			return strconv.Unquote(e.Value)
		}
	case *ast.ParenExpr:
		return ev.eval(t, f, pkg, e.X)
	case *ast.BinaryExpr:
		if e.Op == token.ADD {
			x, err := ev.eval(t, f, pkg, e.X)
			if err != nil {
				return "", err
			}
			y, err := ev.eval(t, f, pkg, e.Y)
			return x + y, err
		}
	case *ast.Ident:
		if c, ok := pkg.consts[e.Name]; ok {
			return ev.eval(t, c.file, pkg, c.value)
		}
		return "", fmt.Errorf("%s is not a constant of the package", e.Name)
	case *ast.SelectorExpr:
		x, ok := e.X.(*ast.Ident)
		if !ok {
			break
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			name := filepath.Base(path)
			if imp.Name != nil {
				name = imp.Name.Name
			}
			rel, internal := strings.CutPrefix(path, "carebridge/internal/")
			if name != x.Name || !internal {
				continue
			}
			other := ev.parse(t, filepath.Join("..", rel))
			if c, ok := other.consts[e.Sel.Name]; ok {
				return ev.eval(t, c.file, other, c.value)
			}
			return "", fmt.Errorf("%s.%s is not a constant", x.Name, e.Sel.Name)
		}
		return "", fmt.Errorf("%s.%s: not a package of carebridge/internal", x.Name, e.Sel.Name)
	}
	return "", fmt.Errorf("cannot evaluate the pattern expression %T", e)
}

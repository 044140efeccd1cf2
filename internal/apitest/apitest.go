// Package apitest holds the REST faces' tests to the OpenAPI document
// (docs/openapi.json): every request a test sends and every answer it gets
// is checked against it.
//
// A request the document describes must get one of the answers its
// operation lists, in the shape given there. A request the document
// refuses (a missing parameter, a wrong type, no token) may be answered
// only with an error (4xx or 5xx), in the shape listed for that status. A
// request no route takes is held to the document's x-unrouted entry for
// its path. Validation is done by kin-openapi, with JSON Schema 2020-12 as
// OpenAPI 3.1 requires.
package apitest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"carebridge/docs"
)

// JSONRPCPath is the plane the document leaves out: it speaks JSON-RPC 2.0,
// over HTTP and WebSocket, and the OpenRPC document describes it.
const JSONRPCPath = "/jsonrpc"

// Validator checks exchanges against one OpenAPI document.
type Validator struct {
	doc      *openapi3.T
	routes   *http.ServeMux // the document's operations, matched as the server matches them
	unrouted []unrouted
}

// unrouted is an entry of the document's x-unrouted: how paths under a
// prefix that no operation takes are answered.
type unrouted struct {
	prefix    string
	exact     bool
	responses *openapi3.Responses
}

// New loads and validates a document.
func New(document []byte) (*Validator, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(document)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		return nil, fmt.Errorf("openapi is %q, not 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("not a valid OpenAPI document: %w", err)
	}
	v := &Validator{doc: doc, routes: http.NewServeMux()}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			v.routes.HandleFunc(method+" "+path, func(http.ResponseWriter, *http.Request) {})
		}
	}
	if v.unrouted, err = readUnrouted(doc); err != nil {
		return nil, err
	}
	return v, nil
}

func readUnrouted(doc *openapi3.T) ([]unrouted, error) {
	raw, ok := doc.Extensions["x-unrouted"].([]any)
	if !ok {
		return nil, errors.New("x-unrouted is missing or not an array")
	}
	var out []unrouted
	for i, e := range raw {
		entry, _ := e.(map[string]any)
		prefix, _ := entry["prefix"].(string)
		exact, _ := entry["exact"].(bool)
		resps, _ := entry["responses"].(map[string]any)
		if prefix == "" || len(resps) == 0 {
			return nil, fmt.Errorf("x-unrouted[%d] has no prefix or no responses", i)
		}
		u := unrouted{prefix: prefix, exact: exact, responses: openapi3.NewResponses()}
		u.responses.Delete("default")
		for code, r := range resps {
			_, err := strconv.Atoi(code)
			ref, _ := r.(map[string]any)["$ref"].(string)
			name, found := strings.CutPrefix(ref, "#/components/responses/")
			resp := doc.Components.Responses[name]
			if err != nil || !found || resp == nil {
				return nil, fmt.Errorf("x-unrouted[%d]: %s is not a status with a response of the components (%q)", i, code, ref)
			}
			u.responses.Set(code, resp)
		}
		out = append(out, u)
	}
	return out, nil
}

var (
	loadOnce  sync.Once
	loaded    *Validator
	loadError error
)

// Document returns the validator of the document built into the binary
// (docs.OpenAPI), loaded once.
func Document(tb testing.TB) *Validator {
	tb.Helper()
	loadOnce.Do(func() { loaded, loadError = New(docs.OpenAPI) })
	if loadError != nil {
		tb.Fatalf("docs/openapi.json: %v", loadError)
	}
	return loaded
}

// Spec is the loaded document.
func (v *Validator) Spec() *openapi3.T { return v.doc }

// Exchange is one request as sent and its answer as received.
type Exchange struct {
	Method      string
	URL         *url.URL
	Header      http.Header // the request's
	RequestBody []byte

	Status         int
	ResponseHeader http.Header
	ResponseBody   []byte
}

// Check returns why the exchange does not conform to the document, or nil.
func (v *Validator) Check(x Exchange) error {
	if x.URL.Path == JSONRPCPath || strings.HasPrefix(x.URL.Path, JSONRPCPath+"/") {
		return nil
	}
	req, err := http.NewRequest(x.Method, x.URL.String(), bytes.NewReader(x.RequestBody))
	if err != nil {
		return err
	}
	req.Header = x.Header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	ctx := context.Background()
	route, params := v.route(req)
	if route == nil {
		return v.checkUnrouted(req, x)
	}
	opts := &openapi3filter.Options{
		AuthenticationFunc:    presented,
		IncludeResponseStatus: true,
		MultiError:            true,
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	reqErr := openapi3filter.ValidateRequest(ctx, in)
	respOpts := *opts
	if x.Method == http.MethodHead {
		respOpts.ExcludeResponseBody = true // HEAD is answered as GET, without the body
	}
	respErr := openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: x.Status, Header: x.ResponseHeader,
		Body: io.NopCloser(bytes.NewReader(x.ResponseBody)), Options: &respOpts,
	})
	if respErr != nil {
		return fmt.Errorf("%s %s: the answer (HTTP %d) does not conform to the document: %v\nbody: %s",
			x.Method, x.URL.Path, x.Status, respErr, clip(x.ResponseBody))
	}
	if reqErr != nil && x.Status < 400 {
		return fmt.Errorf("%s %s: the document refuses the request, but it was answered HTTP %d: %v",
			x.Method, x.URL.Path, x.Status, reqErr)
	}
	return nil
}

// route finds the operation that takes req, as the server's ServeMux
// would (a GET route takes HEAD too), and the path's parameters.
func (v *Validator) route(req *http.Request) (*routers.Route, map[string]string) {
	_, pattern := v.routes.Handler(req)
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		return nil, nil
	}
	item := v.doc.Paths.Value(path)
	op := item.GetOperation(method)
	if op == nil {
		return nil, nil
	}
	params := map[string]string{}
	segments := strings.Split(req.URL.Path, "/")
	for i, s := range strings.Split(path, "/") {
		if name, ok := strings.CutPrefix(s, "{"); ok && i < len(segments) {
			params[strings.TrimSuffix(name, "}")] = segments[i]
		}
	}
	return &routers.Route{Spec: v.doc, Path: path, PathItem: item, Method: method, Operation: op}, params
}

// checkUnrouted holds an answer to a request no operation takes to the
// x-unrouted entry of its path: the longest prefix that matches.
func (v *Validator) checkUnrouted(req *http.Request, x Exchange) error {
	var best *unrouted
	for i, u := range v.unrouted {
		match := x.URL.Path == u.prefix || (!u.exact && strings.HasPrefix(x.URL.Path, u.prefix))
		if match && (best == nil || len(u.prefix) > len(best.prefix)) {
			best = &v.unrouted[i]
		}
	}
	if best == nil {
		return fmt.Errorf("%s %s: no operation and no x-unrouted entry takes the path", x.Method, x.URL.Path)
	}
	route := &routers.Route{Spec: v.doc, Path: best.prefix, Method: x.Method,
		Operation: &openapi3.Operation{Responses: best.responses}}
	err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, Route: route},
		Status:                 x.Status, Header: x.ResponseHeader,
		Body:    io.NopCloser(bytes.NewReader(x.ResponseBody)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, ExcludeResponseBody: x.Method == http.MethodHead},
	})
	if err != nil {
		return fmt.Errorf("%s %s: no operation takes it, and the answer (HTTP %d) is not one x-unrouted lists for %s: %v\nbody: %s",
			x.Method, x.URL.Path, x.Status, best.prefix, err, clip(x.ResponseBody))
	}
	return nil
}

// presented tells whether the request carries the credential a security
// scheme names. It does not judge the credential: that is the server's
// part, and a wrong one is answered 401, which the document lists.
func presented(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	r := in.RequestValidationInput.Request
	s := in.SecurityScheme
	var ok bool
	switch {
	case s.Type == "http" && strings.EqualFold(s.Scheme, "basic"):
		_, _, ok = r.BasicAuth()
	case s.Type == "oauth2" || (s.Type == "http" && strings.EqualFold(s.Scheme, "bearer")):
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		ok = strings.EqualFold(scheme, "bearer") && strings.TrimSpace(token) != ""
	case s.Type == "apiKey" && s.In == "query":
		ok = r.URL.Query().Get(s.Name) != ""
	case s.Type == "apiKey" && s.In == "header":
		ok = r.Header.Get(s.Name) != ""
	}
	if !ok {
		return fmt.Errorf("no credential for %s", in.SecuritySchemeName)
	}
	return nil
}

func clip(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// Transport returns a RoundTripper that sends through base (nil:
// http.DefaultTransport) and checks every exchange, reporting one that
// does not conform with tb.Errorf. The answer's body is read whole and
// handed on unchanged.
func Transport(tb testing.TB, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{tb: tb, v: Document(tb), base: base}
}

// Client returns an http.Client whose every exchange is checked.
func Client(tb testing.TB) *http.Client {
	return &http.Client{Transport: Transport(tb, nil)}
}

type transport struct {
	tb   testing.TB
	v    *Validator
	base http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		sent := req.Clone(req.Context())
		sent.Body = io.NopCloser(bytes.NewReader(body))
		sent.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		req = sent
	}
	res, err := t.base.RoundTrip(req)
	if err != nil {
		return res, err
	}
	got, err := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(got))
	if err != nil {
		return res, nil // the caller reads the same failure
	}
	if cerr := t.v.Check(Exchange{
		Method: req.Method, URL: req.URL, Header: req.Header, RequestBody: body,
		Status: res.StatusCode, ResponseHeader: res.Header, ResponseBody: got,
	}); cerr != nil {
		t.tb.Errorf("OpenAPI: %v", cerr)
	}
	return res, nil
}

package apitest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"carebridge/docs"
	"carebridge/internal/apitest"
)

// The document loads, is valid OpenAPI 3.1 (its examples included: the
// loader checks each against its schema), and names each operation once.
func TestDocumentIsValid(t *testing.T) {
	t.Parallel()
	v, err := apitest.New(docs.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	spec := v.Spec()
	if spec.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", spec.OpenAPI)
	}
	ids := map[string]string{}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.OperationID == "" || op.Summary == "" || op.Responses.Len() == 0 {
				t.Errorf("%s lacks an operationId, a summary or responses", where)
			}
			if other, ok := ids[op.OperationID]; ok {
				t.Errorf("operationId %q names %s and %s", op.OperationID, other, where)
			}
			ids[op.OperationID] = where
		}
	}
}

var okStatus = `"status":{"code":"OK","description":"","message":""}`

func exchange(method, target, body string, status int, resBody string, header ...string) apitest.Exchange {
	u, err := url.Parse("http://127.0.0.1" + target)
	if err != nil {
		panic(err)
	}
	x := apitest.Exchange{Method: method, URL: u, Header: http.Header{}, Status: status,
		ResponseHeader: http.Header{}, ResponseBody: []byte(resBody)}
	if body != "" {
		x.RequestBody = []byte(body)
		x.Header.Set("Content-Type", "application/json")
	}
	// header: request headers first, then "|", then answer headers.
	h := x.Header
	for i := 0; i < len(header); i++ {
		if header[i] == "|" {
			h = x.ResponseHeader
			continue
		}
		h.Set(header[i], header[i+1])
		i++
	}
	return x
}

const (
	crm       = "/crmapi/rest/v2/"
	crmToken  = "33586DF3842E4AE5BABF43C43269E8F8"
	ocpBearer = "bearer 4f1b6c0e9d2a7b3c5e8f1a2d4c6b8e0f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1e3b"
	jsonCT    = "application/json"
)

// Answers the server could give, which the document accepts: the
// refusals below are refused for what is wrong in them, not for the rest.
var conforming = []struct {
	name string
	x    apitest.Exchange
}{
	{"CRM.COM login", exchange("POST", crm+"authentication/token", `{"username":"demo","password":"demo","organisation":"demo"}`, 200,
		`{"data":{"token":"`+crmToken+`"},`+okStatus+`}`, "|", "Content-Type", jsonCT, "Cache-Control", "no-store")},
	{"CRM.COM missing parameter", exchange("GET", crm+"netflix/charges/list?token="+crmToken+"&offset=0&charge_status=PROCESSED", "", 400,
		`{"data":{},"status":{"code":"MISSING_PARAMETER","description":"","message":"number_of_results is mandatory."}}`,
		"|", "Content-Type", jsonCT, "Cache-Control", "no-store")},
	{"CRM.COM unknown method", exchange("GET", crm+"netflix/nothing", "", 404,
		`{"data":{},"status":{"code":"NOT_FOUND","description":"","message":"There is no method netflix/nothing."}}`,
		"|", "Content-Type", jsonCT, "Cache-Control", "no-store")},
	{"OCP customer", exchange("GET", "/v1/ocp/customers/1649", "", 200, `{"id":1649,"nsid":33333333,"name":"Acme ATM"}`,
		"Authorization", ocpBearer, "|", "Content-Type", jsonCT, "Cache-Control", "no-store")},
	{"partner results", exchange("POST", "/partner/netflix/v1/charges", `{"charges":[{}]}`, 200,
		`{"results":[{"partner_charge_id":"","status":"rejected","number":null,"error":"amount is mandatory."}]}`,
		"X-Partner-Operator", "1", "X-Partner-Signature", "t=1,v1=00", "|", "Content-Type", jsonCT)},
	{"health", exchange("GET", "/healthz", "", 200, "ok\n", "|", "Content-Type", "text/plain; charset=utf-8")},
	{"HEAD health", exchange("HEAD", "/healthz", "", 200, "", "|", "Content-Type", "text/plain; charset=utf-8")},
	{"no route", exchange("GET", "/nothing", "", 404, "404 page not found\n", "|", "Content-Type", "text/plain; charset=utf-8")},
}

func TestAcceptsConformingAnswers(t *testing.T) {
	t.Parallel()
	v := apitest.Document(t)
	for _, c := range conforming {
		if err := v.Check(c.x); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// A wrong answer fails: each of these breaks the document in one place.
func TestRefusesWrongAnswers(t *testing.T) {
	t.Parallel()
	v := apitest.Document(t)
	for _, c := range []struct {
		name, why string
		x         apitest.Exchange
	}{
		{"token in lower case", "pattern", exchange("POST", crm+"authentication/token", `{"username":"demo","password":"demo","organisation":"demo"}`, 200,
			`{"data":{"token":"`+strings.ToLower(crmToken)+`"},`+okStatus+`}`, "|", "Content-Type", jsonCT, "Cache-Control", "no-store")},
		{"an error code the face does not have", "NOPE", exchange("GET", crm+"netflix/promotions/list?token="+crmToken, "", 400,
			`{"data":{},"status":{"code":"NOPE","description":"","message":"No."}}`, "|", "Content-Type", jsonCT, "Cache-Control", "no-store")},
		{"an error code of another status", "NOT_FOUND", exchange("GET", crm+"netflix/promotions/list?token="+crmToken, "", 400,
			`{"data":{},"status":{"code":"NOT_FOUND","description":"","message":"No."}}`, "|", "Content-Type", jsonCT, "Cache-Control", "no-store")},
		{"error data not empty", "data", exchange("GET", crm+"netflix/promotions/list?token="+crmToken, "", 401,
			`{"data":{"x":1},"status":{"code":"INVALID_TOKEN","description":"","message":"No."}}`, "|", "Content-Type", jsonCT, "Cache-Control", "no-store")},
		{"no Cache-Control", "Cache-Control", exchange("GET", crm+"netflix/promotions/list?token="+crmToken, "", 200,
			`{"data":[],`+okStatus+`}`, "|", "Content-Type", jsonCT)},
		{"throttled without Retry-After", "Retry-After", exchange("POST", crm+"authentication/token", `{"username":"a","password":"b","organisation":"c"}`, 429,
			`{"data":{},"status":{"code":"TOO_MANY_REQUESTS","description":"","message":"Wait."}}`, "|", "Content-Type", jsonCT, "Cache-Control", "no-store")},
		{"a field the charge does not have", "extra", exchange("GET", crm+"netflix/charges/list?token="+crmToken+"&number_of_results=1&offset=0&charge_status=PROCESSED", "", 200,
			`{"data":{"charges_set":[{"number":"I00000001","extra":1}]},`+okStatus+`}`, "|", "Content-Type", jsonCT, "Cache-Control", "no-store")},
		{"OCP customer with another field", "email", exchange("GET", "/v1/ocp/customers/1649", "", 200,
			`{"id":1649,"nsid":33333333,"name":"Acme ATM","email":"x@y.zzz"}`, "Authorization", ocpBearer, "|", "Content-Type", jsonCT, "Cache-Control", "no-store")},
		{"OCP 401 without its challenge", "WWW-Authenticate", exchange("GET", "/v1/ocp/customers/ids", "", 401,
			`{"message":"Not Authorized.","documentationUrl":"https://example.com/"}`, "|", "Content-Type", jsonCT, "Cache-Control", "no-store")},
		{"OAuth error code unknown", "error", exchange("POST", "/v1/oauth/token", "", 400,
			`{"error":"nope","error_description":"No."}`, "|", "Content-Type", jsonCT, "Cache-Control", "no-store", "Pragma", "no-cache")},
		{"rejected with a number", "number", exchange("POST", "/partner/netflix/v1/charges", `{"charges":[{}]}`, 200,
			`{"results":[{"partner_charge_id":"","status":"rejected","number":"I00000001","error":"amount is mandatory."}]}`,
			"X-Partner-Operator", "1", "X-Partner-Signature", "t=1,v1=00", "|", "Content-Type", jsonCT)},
		{"health answering otherwise", "ok", exchange("GET", "/healthz", "", 200, "okay\n", "|", "Content-Type", "text/plain; charset=utf-8")},
		{"a status the operation does not list", "500", exchange("GET", "/healthz", "", 500, "down\n", "|", "Content-Type", "text/plain; charset=utf-8")},
		{"a refused request answered 200", "refuses the request", exchange("GET", crm+"netflix/charges/list?token="+crmToken+"&offset=0&charge_status=PROCESSED", "", 200,
			`{"data":{"charges_set":[]},`+okStatus+`}`, "|", "Content-Type", jsonCT, "Cache-Control", "no-store")},
		{"a request without its token answered 200", "refuses the request", exchange("GET", crm+"netflix/promotions/list", "", 200,
			`{"data":[],`+okStatus+`}`, "|", "Content-Type", jsonCT, "Cache-Control", "no-store")},
		{"an unknown method answered in plain text", "x-unrouted", exchange("GET", crm+"netflix/nothing", "", 404,
			"404 page not found\n", "|", "Content-Type", "text/plain; charset=utf-8")},
		{"a wrong method answered 404", "x-unrouted", exchange("DELETE", "/partner/netflix/v1/charges", "", 404,
			`{"error":{"code":"method_not_allowed","message":"No."}}`, "|", "Content-Type", jsonCT)},
	} {
		err := v.Check(c.x)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.why) {
			t.Errorf("%s: refused, but the reason does not mention %q: %v", c.name, c.why, err)
		}
	}
}

// recorder is a testing.TB that keeps what Errorf reports.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// Through the transport, a live answer that does not conform is reported
// to the test, and the caller still reads the answer as it came.
func TestTransportReportsWrongAnswers(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("fine\n"))
	}))
	defer srv.Close()
	rec := &recorder{TB: t}
	client := &http.Client{Transport: apitest.Transport(rec, srv.Client().Transport)}
	res, err := client.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || string(body) != "fine\n" {
		t.Errorf("the caller read %q (%v), not the answer", body, err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.errs) != 1 || !strings.Contains(rec.errs[0], "/healthz") {
		t.Fatalf("reported %q, want one failure of GET /healthz", rec.errs)
	}
}

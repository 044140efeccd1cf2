package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// wait bounds every wait on the served process; a test that reaches it
// fails, nothing is measured.
const wait = 10 * time.Second

// syncBuffer is a bytes.Buffer that the server's goroutines write while the
// test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// served is a `carebridge serve` running in the test process.
type served struct {
	url    string
	stdout *syncBuffer
	stderr *syncBuffer
	cancel context.CancelFunc
	exited chan struct{} // closed when run has returned and stdout is drained
	code   int           // run's exit code, valid once exited is closed
	client *http.Client
}

var listeningLine = regexp.MustCompile(`listening on (http://\S+)`)

// startServe runs `carebridge serve args…` with a fake environment and
// returns once it prints the address it listens on.
func startServe(t *testing.T, environ map[string]string, args ...string) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &served{
		stdout: &syncBuffer{},
		stderr: &syncBuffer{},
		cancel: cancel,
		exited: make(chan struct{}),
		client: &http.Client{Timeout: wait, Transport: &http.Transport{}},
	}
	urls := make(chan string, 1)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		sc := bufio.NewScanner(pr)
		found := false
		for sc.Scan() {
			line := sc.Text()
			s.stdout.Write([]byte(line + "\n"))
			if m := listeningLine.FindStringSubmatch(line); m != nil && !found {
				found = true
				urls <- m[1]
			}
		}
		io.Copy(io.Discard, pr)
	}()
	go func() {
		code := run(append([]string{"serve"}, args...), env{
			ctx:    ctx,
			stdin:  strings.NewReader(""),
			stdout: pw,
			stderr: s.stderr,
			getenv: func(k string) string { return environ[k] },
		})
		pw.Close()
		<-drained
		s.code = code
		close(s.exited)
	}()
	t.Cleanup(func() {
		cancel()
		s.client.CloseIdleConnections()
		select {
		case <-s.exited:
		case <-time.After(wait):
			t.Errorf("serve did not stop within %s of its context ending", wait)
		}
	})

	select {
	case s.url = <-urls:
	case <-s.exited:
		t.Fatalf("serve exited %d before listening; stdout %q, stderr %q", s.code, s.stdout.String(), s.stderr.String())
	case <-time.After(wait):
		t.Fatalf("serve printed no listening line within %s; stdout %q, stderr %q", wait, s.stdout.String(), s.stderr.String())
	}
	return s
}

// waitStdout waits until serve has printed want.
func (s *served) waitStdout(t *testing.T, want string) string {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		out := s.stdout.String()
		if strings.Contains(out, want) {
			return out
		}
		select {
		case <-s.exited:
			if out = s.stdout.String(); strings.Contains(out, want) {
				return out
			}
			t.Fatalf("serve exited without printing %q:\n%s", want, out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not print %q within %s:\n%s", want, wait, out)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stop cancels serve's context and returns its exit code.
func (s *served) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	s.client.CloseIdleConnections()
	select {
	case <-s.exited:
		return s.code
	case <-time.After(wait):
		t.Fatalf("serve did not shut down within %s", wait)
		return -1
	}
}

func (s *served) get(t *testing.T, path string, header ...string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return s.do(t, req)
}

func (s *served) do(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

type crmEnvelope struct {
	Data   json.RawMessage `json:"data"`
	Status struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"status"`
}

func decodeEnvelope(t *testing.T, body []byte) crmEnvelope {
	t.Helper()
	var e crmEnvelope
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("answer %q is not the envelope: %v", body, err)
	}
	return e
}

// login posts to authentication/token and returns the HTTP status and the
// envelope.
func (s *served) login(t *testing.T, org, user, password string) (int, crmEnvelope) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"organisation": org, "username": user, "password": password})
	req, err := http.NewRequest(http.MethodPost, s.url+"/crmapi/rest/v2/authentication/token", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	status, answer := s.do(t, req)
	return status, decodeEnvelope(t, answer)
}

var tokenPattern = regexp.MustCompile(`^[0-9A-F]{32}$`)

// demoLogin logs in as the demo user and returns the token.
func (s *served) demoLogin(t *testing.T) string {
	t.Helper()
	status, e := s.login(t, "demo", "demo", "demo")
	if status != http.StatusOK || e.Status.Code != "OK" {
		t.Fatalf("demo login: HTTP %d, status %+v", status, e.Status)
	}
	var data struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(e.Data, &data); err != nil {
		t.Fatal(err)
	}
	if !tokenPattern.MatchString(data.Token) {
		t.Fatalf("token %q is not 32 upper-case hex characters", data.Token)
	}
	return data.Token
}

func TestServeRefusesBadSettings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		environ map[string]string
		args    []string
		want    string
	}{
		{"demo on all interfaces", nil, []string{"--demo", "--addr", "0.0.0.0:8080"}, "loopback"},
		{"demo on an empty host", nil, []string{"--demo", "--addr", ":8080"}, "loopback"},
		{"demo on a public address", nil, []string{"--demo", "--addr", "192.0.2.1:8080"}, "loopback"},
		{"demo from the environment", map[string]string{"CAREBRIDGE_DEMO": "true", "CAREBRIDGE_ADDR": "0.0.0.0:8080"}, nil, "loopback"},
		{"profiles on all interfaces", nil, []string{"--debug-addr", "0.0.0.0:6060"}, "loopback"},
		{"profiles from the environment", map[string]string{"CAREBRIDGE_DEBUG_ADDR": ":6060"}, nil, "loopback"},
		{"log format", nil, []string{"--log-format", "xml", "--addr", "127.0.0.1:0"}, "--log-format"},
		{"log format from the environment", map[string]string{"CAREBRIDGE_LOG_FORMAT": "xml"}, []string{"--addr", "127.0.0.1:0"}, "--log-format"},
		{"short token lifetime", nil, []string{"--token-lifetime", "10s", "--addr", "127.0.0.1:0"}, "--token-lifetime"},
		{"long token lifetime", nil, []string{"--token-lifetime", "721h", "--addr", "127.0.0.1:0"}, "--token-lifetime"},
		{"token lifetime from the environment", map[string]string{"CAREBRIDGE_TOKEN_LIFETIME": "soon"}, []string{"--addr", "127.0.0.1:0"}, "CAREBRIDGE_TOKEN_LIFETIME"},
		{"demo metrics on all interfaces", nil, []string{"--demo", "--addr", "127.0.0.1:0", "--metrics-addr", "0.0.0.0:9090"}, "loopback"},
		{"metrics address without a port", nil, []string{"--addr", "127.0.0.1:0", "--metrics-addr", "nonsense"}, "--metrics-addr nonsense"},
		{"metrics address out of range", nil, []string{"--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:99999"}, "--metrics-addr"},
		{"listen address without a port", nil, []string{"--addr", "localhost"}, "--addr localhost"},
		{"profiles address without a port", nil, []string{"--addr", "127.0.0.1:0", "--debug-addr", "127.0.0.1"}, "--debug-addr"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			path := dbPath(t)
			environ := map[string]string{"CAREBRIDGE_DB": path}
			for k, v := range c.environ {
				environ[k] = v
			}
			// Should serve fail to refuse, an ended context makes it stop
			// at once instead of serving until the test times out.
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			r := runCLIContext(t, ctx, environ, "", append([]string{"serve"}, c.args...)...)
			wantFail(t, r, 1, c.want)
			if strings.Contains(r.stdout, "listening") {
				t.Errorf("serve listened before refusing: %q", r.stdout)
			}
			if _, err := os.Stat(path); err == nil {
				t.Errorf("serve opened the database before refusing")
			}
		})
	}
}

func TestServeDemo(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	s := startServe(t, nil, "--demo", "--addr", "127.0.0.1:0", "--db", path)

	u, err := url.Parse(s.url)
	if err != nil {
		t.Fatal(err)
	}
	if host, port, _ := net.SplitHostPort(u.Host); host != "127.0.0.1" || port == "0" || port == "" {
		t.Errorf("listening on %q, want 127.0.0.1 and the port chosen", u.Host)
	}
	out := s.waitStdout(t, "README.md")
	for _, w := range []string{`organisation "demo"`, `user "demo"`, `password "demo"`, s.url + "/crmapi/rest/v2/authentication/token"} {
		if !strings.Contains(out, w) {
			t.Errorf("stdout lacks %q:\n%s", w, out)
		}
	}
	if !strings.Contains(out, path) {
		t.Errorf("stdout does not name the database %s:\n%s", path, out)
	}

	if status, body := s.get(t, "/healthz"); status != http.StatusOK {
		t.Errorf("/healthz: %d %q", status, body)
	}
	if status, body := s.get(t, "/readyz"); status != http.StatusOK {
		t.Errorf("/readyz: %d %q", status, body)
	}

	token := s.demoLogin(t)
	status, body := s.get(t, "/crmapi/rest/v2/netflix/promotions/list?token="+token)
	if status != http.StatusOK {
		t.Fatalf("promotions/list: %d %s", status, body)
	}
	var list []struct {
		Code          string  `json:"code"`
		Name          string  `json:"name"`
		Description   *string `json:"description"`
		EffectiveFrom *string `json:"effective_from"`
		ExpiresOn     *string `json:"expires_on"`
	}
	if err := json.Unmarshal(decodeEnvelope(t, body).Data, &list); err != nil {
		t.Fatalf("promotions/list data: %v in %s", err, body)
	}
	if len(list) != 2 || list[0].Code != "14" || list[1].Code != "15" {
		t.Fatalf("promotions %s, want codes 14 and 15", body)
	}
	if list[0].Name != "Test" || list[1].Name != "Test_2" ||
		list[0].EffectiveFrom == nil || *list[0].EffectiveFrom != "2017-01-01T00:00:00" ||
		list[1].EffectiveFrom == nil || *list[1].EffectiveFrom != "2017-02-01T00:00:00" ||
		list[0].ExpiresOn != nil || list[0].Description != nil {
		t.Errorf("promotions %s", body)
	}

	if code := s.stop(t); code != 0 {
		t.Errorf("serve exited %d after its context ended, want 0; stderr:\n%s", code, s.stderr.String())
	}
	// Shut down means shut down: the address no longer answers.
	if conn, err := net.Dial("tcp", u.Host); err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after serve returned", u.Host)
	}
}

func TestServeDemoRefusesOtherTenants(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	mustRun(t, "", "org", "create", "--db", path, "--name", "other")
	s := startServe(t, nil, "--demo", "--addr", "127.0.0.1:0", "--db", path)

	if out := s.stdout.String(); !strings.Contains(out, "not loaded") {
		t.Errorf("stdout does not say the demo data was not loaded:\n%s", out)
	}
	status, e := s.login(t, "demo", "demo", "demo")
	if status != http.StatusUnauthorized || e.Status.Code != "INVALID_CREDENTIALS" {
		t.Errorf("demo login into a database with another tenant: HTTP %d, status %+v; want 401 INVALID_CREDENTIALS", status, e.Status)
	}
	if code := s.stop(t); code != 0 {
		t.Errorf("serve exited %d, want 0", code)
	}

	// serve has returned, so stdout is complete: it must not tell how to log
	// in with demo data that was not loaded.
	if out := s.stdout.String(); strings.Contains(out, `password "demo"`) || strings.Contains(out, "authentication/token") ||
		strings.Contains(out, "demo-admin-token") || strings.Contains(out, "demo-secret") {
		t.Errorf("stdout tells how to log in with demo data that was not loaded:\n%s", out)
	}
}

// A database that holds the demo keeps its public passwords on loopback
// addresses even when served without --demo.
func TestServeDemoDatabaseLoopbackOnly(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	s := startServe(t, nil, "--demo", "--addr", "127.0.0.1:0", "--db", path)
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve --demo exited %d", code)
	}
	// The address is taken before the database is read (a port the
	// system picks on every interface); the refusal closes it unused.
	// Should serve fail to refuse, it stops serving when the time is up.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	r := runCLIContext(t, ctx, map[string]string{"CAREBRIDGE_DB": path}, "", "serve", "--addr", "0.0.0.0:0")
	wantFail(t, r, 1, "loopback")
	if !strings.Contains(r.stderr, "demo data") || strings.Contains(r.stdout, "listening") {
		t.Errorf("serve of a demo database on a public address: stdout %q, stderr %q", r.stdout, r.stderr)
	}
}

// The demo banner gives every credential of the demo, and each works as
// printed: the admin token on the JSON-RPC plane, the OCP application's
// client id and secret at the token endpoint, the care users at the care
// login and the console's address.
func TestServeDemoBannerCredentials(t *testing.T) {
	t.Parallel()
	s := startServe(t, nil, "--demo", "--addr", "127.0.0.1:0", "--db", dbPath(t))
	out := s.waitStdout(t, "README.md")
	find := func(re string) []string {
		t.Helper()
		m := regexp.MustCompile(re).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("stdout lacks %s:\n%s", re, out)
		}
		return m
	}
	admin := find(`JSON-RPC admin token "([^"]+)"`)[1]
	client := find(`OCP application: client id "([^"]+)", client secret "([^"]+)"`)
	if admin != "demo-admin-token" || client[1] != "app-88" || client[2] != "demo-secret" {
		t.Errorf("banner names admin token %q, client %q secret %q; want demo-admin-token, app-88, demo-secret", admin, client[1], client[2])
	}
	for _, w := range []string{
		"Authorization: Bearer " + admin + "' " + s.url + "/jsonrpc",
		"-u " + client[1] + ":" + client[2] + " -d grant_type=client_credentials " + s.url + "/v1/oauth/token",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("stdout lacks the command %q:\n%s", w, out)
		}
	}

	req, err := http.NewRequest(http.MethodPost, s.url+"/jsonrpc",
		strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"Controller.1.status"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Content-Type", "application/json")
	status, body := s.do(t, req)
	var rpc struct {
		Result []struct{ Callsign string } `json:"result"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &rpc) != nil || len(rpc.Result) == 0 {
		t.Errorf("Controller.1.status with the printed admin token: HTTP %d %s", status, body)
	}

	req, err = http.NewRequest(http.MethodPost, s.url+"/v1/oauth/token", strings.NewReader("grant_type=client_credentials"))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(client[1], client[2])
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	status, body = s.do(t, req)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" {
		t.Errorf("OCP token with the printed client id and secret: HTTP %d %s", status, body)
	}

	// The console's address answers, and its care users log in with their
	// names as passwords.
	care := find(`Care console: (\S+) as care agent "([^"]+)" or supervisor "([^"]+)" \(password: the user name\)`)
	if care[1] != s.url+"/console/" {
		t.Errorf("console address %q, want %q", care[1], s.url+"/console/")
	}
	req, err = http.NewRequest(http.MethodGet, care[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	if status, body := s.do(t, req); status != http.StatusOK || !strings.Contains(string(body), "<html") {
		t.Errorf("GET %s: HTTP %d", care[1], status)
	}
	for _, user := range care[2:] {
		req, err = http.NewRequest(http.MethodPost, s.url+"/care/login",
			strings.NewReader(`{"organisation":"demo","username":"`+user+`","password":"`+user+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if status, body := s.do(t, req); status != http.StatusOK {
			t.Errorf("care login of %s as printed: HTTP %d %s", user, status, body)
		}
	}
}

func TestServeEnvironmentDefaults(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	s := startServe(t, map[string]string{
		"CAREBRIDGE_ADDR":       "127.0.0.1:0",
		"CAREBRIDGE_LOG_FORMAT": "json",
		"CAREBRIDGE_DEMO":       "true",
		"CAREBRIDGE_DB":         path,
	})
	u, err := url.Parse(s.url)
	if err != nil {
		t.Fatal(err)
	}
	if host, port, _ := net.SplitHostPort(u.Host); host != "127.0.0.1" || port == "8080" {
		t.Errorf("listening on %q; CAREBRIDGE_ADDR=127.0.0.1:0 was not honoured", u.Host)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("CAREBRIDGE_DB was not honoured: %v", err)
	}

	token := s.demoLogin(t)
	if status, body := s.get(t, "/crmapi/rest/v2/netflix/promotions/list?fields_set=code&token="+token); status != http.StatusOK {
		t.Errorf("promotions/list with ?token=: %d %s", status, body)
	}
	if status, body := s.get(t, "/crmapi/rest/v2/netflix/promotions/list?token="+strings.ToLower(token)+"&bogus=1"); status != http.StatusBadRequest {
		t.Errorf("promotions/list with an unknown parameter: %d %s", status, body)
	}
	if status, body := s.get(t, "/crmapi/rest/v2/netflix/promotions/list", "Authorization", "Bearer "+token); status != http.StatusOK {
		t.Errorf("promotions/list with a bearer token: %d %s", status, body)
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exited %d, want 0", code)
	}

	// serve has returned: every log line is written.
	logs := s.stderr.String()
	var listening, redacted, shutdown bool
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("log line is not JSON: %q", line)
			continue
		}
		switch rec["msg"] {
		case "listening":
			listening = rec["addr"] == u.Host
		case "request":
			if rec["path"] == "/crmapi/rest/v2/netflix/promotions/list" && strings.Contains(rec["query"].(string), "token=REDACTED") {
				redacted = true
			}
		case "shutting down":
			shutdown = true
		}
	}
	if !strings.Contains(logs, `"msg":"listening"`) || !listening {
		t.Errorf(`no JSON "listening" log line with addr %s:\n%s`, u.Host, logs)
	}
	if !redacted {
		t.Errorf("no access log line with the token redacted from the query:\n%s", logs)
	}
	if !shutdown {
		t.Errorf("no shutting down log line:\n%s", logs)
	}
	if strings.Contains(strings.ToUpper(logs), token) {
		t.Errorf("the token %s is in the logs:\n%s", token, logs)
	}
}

// The bench's bare handler, like the server's demo and profiles, listens
// on loopback addresses only.
func TestBenchBaselineLoopbackOnly(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "", "bench-baseline", "--addr", "0.0.0.0:0")
	if r.code != 1 || !strings.Contains(r.stderr, "loopback") {
		t.Fatalf("exit %d, stderr %q; want 1 and a loopback error", r.code, r.stderr)
	}
}

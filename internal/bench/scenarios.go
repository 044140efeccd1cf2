package bench

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	_ "modernc.org/sqlite" // the commit baseline's driver, the server's own

	"carebridge/internal/face"
	"carebridge/internal/partnerapi"
	"carebridge/internal/signature"
)

const crm = "/crmapi/rest/v2/"

// Fixed shapes of the scenarios the load tool measures (see the README's
// Performance section).
const (
	wsConnections      = 8  // rpc_ws connections (at most --connections)
	wsPipeline         = 16 // requests in flight per WebSocket (the server serves 64 at once)
	itemsPerCall       = 1000
	drainBatch         = 50
	customersPerWorker = 8 // sub_write
	wsDrainTimeout     = 10 * time.Second
)

// newClient is one worker's client: exactly one connection, to 127.0.0.1
// only, no proxy, no compression.
func newClient() *http.Client {
	return &http.Client{Timeout: requestTimeout, Transport: &http.Transport{
		Proxy: nil, DialContext: dialLoopback,
		MaxIdleConns: 1, MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1,
		IdleConnTimeout: 90 * time.Second, DisableCompression: true,
	}}
}

// workers is the per-worker state of an HTTP scenario.
type workers struct {
	clients []*http.Client
	bufs    []bytes.Buffer
	rngs    []*mrand.Rand
}

func newWorkers(n int) *workers {
	w := &workers{clients: make([]*http.Client, n), bufs: make([]bytes.Buffer, n), rngs: make([]*mrand.Rand, n)}
	for i := range n {
		w.clients[i] = newClient()
		w.rngs[i] = mrand.New(mrand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
	}
	return w
}

func (w *workers) close() {
	for _, c := range w.clients {
		c.CloseIdleConnections()
	}
}

// call sends one request as worker i and reads the whole answer into the
// worker's buffer. header is name, value pairs.
func (w *workers) call(ctx context.Context, i int, method, u string, body []byte, header ...string) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for j := 0; j+1 < len(header); j += 2 {
		req.Header.Set(header[j], header[j+1])
	}
	res, err := w.clients[i].Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	buf := &w.bufs[i]
	buf.Reset()
	if _, err := buf.ReadFrom(res.Body); err != nil {
		return res.StatusCode, nil, err
	}
	return res.StatusCode, buf.Bytes(), nil
}

// expect200 is call that fails on any status but 200.
func (w *workers) expect200(ctx context.Context, i int, what, method, u string, body []byte, header ...string) ([]byte, error) {
	status, b, err := w.call(ctx, i, method, u, body, header...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if status != http.StatusOK {
		return nil, statusError(what, status, b)
	}
	return b, nil
}

// signIn gets the CRM.COM token and the OCP access token the scenarios use.
func (r *runner) signIn(ctx context.Context) error {
	w := newWorkers(1)
	defer w.close()
	body, _ := json.Marshal(map[string]string{"organisation": r.data.org.Name, "username": r.data.username, "password": r.data.password})
	b, err := w.expect200(ctx, 0, "CRM.COM login", http.MethodPost, r.srv.base+crm+"authentication/token", body)
	if err != nil {
		return err
	}
	var login struct {
		Data struct{ Token string } `json:"data"`
	}
	if err := json.Unmarshal(b, &login); err != nil || login.Data.Token == "" {
		return fmt.Errorf("CRM.COM login: no token in %s", b)
	}
	r.crmToken = login.Data.Token

	form := url.Values{"grant_type": {"client_credentials"}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.srv.base+"/v1/oauth/token", strings.NewReader(form))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(r.data.ocpClientID, r.data.ocpSecret)
	res, err := w.clients[0].Do(req)
	if err != nil {
		return fmt.Errorf("OCP token: %w", err)
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || res.StatusCode != http.StatusOK || tok.AccessToken == "" {
		return fmt.Errorf("OCP token: HTTP %d, no access token (%v)", res.StatusCode, err)
	}
	r.ocpToken = tok.AccessToken
	return nil
}

// httpBaseline drives a bare net/http handler in this process.
func (r *runner) httpBaseline(ctx context.Context) (Result, error) {
	argv := []string{r.cfg.ServerCommand[0], BaselineCommand}
	bare, err := startChild(ctx, argv, r.cfg.ServerEnv, "", filepath.Join(r.dir, "baseline.log"))
	if err != nil {
		return Result{}, fmt.Errorf("start the bare handler: %w", err)
	}
	defer bare.stop()
	cpu := cpuMeter(bare.pid)
	u := bare.base + "/"
	n := r.cfg.Connections
	w := newWorkers(n)
	defer w.close()
	o := drive(ctx, n, r.cfg.Duration, func(ctx context.Context, i, _ int, _ func()) (int, bool, error) {
		_, err := w.expect200(ctx, i, "GET /", http.MethodGet, u, nil)
		return 0, false, err
	})
	res := o.result(HTTPBaseline, n, "request", "")
	res.CPUMicrosPerOp = cpu(res.Ops)
	return res, nil
}

// sqlitePragmas are the server's (internal/sqlite's pragmas and its
// writer's _txlock); the commit baseline must pay what the server pays.
var sqlitePragmas = []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(ON)"}

// commitBaseline measures durable single-row commits on one connection,
// in a new SQLite file beside the database (the temporary directory when
// the database is PostgreSQL).
func (r *runner) commitBaseline(ctx context.Context) (Result, error) {
	dir := r.dir
	if r.cfg.DB != "" && !isPostgres(r.cfg.DB) {
		dir = filepath.Dir(strings.TrimPrefix(strings.TrimPrefix(r.cfg.DB, "sqlite:"), "file:"))
	}
	f, err := os.CreateTemp(dir, "carebridge-bench-commit-*.db")
	if err != nil {
		return Result{}, err
	}
	path := f.Name()
	f.Close()
	defer func() {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(path + suffix)
		}
	}()
	q := url.Values{}
	for _, p := range sqlitePragmas {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return Result{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE commits (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, payload TEXT NOT NULL)`); err != nil {
		return Result{}, fmt.Errorf("commit baseline: %w", err)
	}
	payload := strings.Repeat("x", 64)
	o := drive(ctx, 1, r.cfg.Duration, func(ctx context.Context, _, seq int, _ func()) (int, bool, error) {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return 0, false, err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, `INSERT INTO commits (at, payload) VALUES (?, ?)`, seq, payload); err != nil {
			return 0, false, err
		}
		return 0, false, tx.Commit()
	})
	return o.result(CommitBaseline, 1, "commit", ""), nil
}

// ocpRead reads random granted OCP customers.
func (r *runner) ocpRead(ctx context.Context) (Result, error) {
	n := r.cfg.Connections
	w := newWorkers(n)
	defer w.close()
	auth := "Bearer " + r.ocpToken
	prefix := r.srv.base + "/v1/ocp/customers/"
	o := drive(ctx, n, r.cfg.Duration, func(ctx context.Context, i, _ int, _ func()) (int, bool, error) {
		id := r.data.ocpFirstID + w.rngs[i].Int64N(int64(r.data.ocpCount))
		_, err := w.expect200(ctx, i, "GET customers/{id}", http.MethodGet, prefix+strconv.FormatInt(id, 10), nil, "Authorization", auth)
		return 0, false, err
	})
	return o.result(OCPRead, n, "request", ""), nil
}

// crmShow shows random subscribed customers.
func (r *runner) crmShow(ctx context.Context) (Result, error) {
	n := r.cfg.Connections
	w := newWorkers(n)
	defer w.close()
	auth := "Bearer " + r.crmToken
	prefix := r.srv.base + crm + "netflix/subscriptions/show?billing_system_customer_identifier="
	o := drive(ctx, n, r.cfg.Duration, func(ctx context.Context, i, _ int, _ func()) (int, bool, error) {
		c := r.data.customers[w.rngs[i].IntN(len(r.data.customers))]
		_, err := w.expect200(ctx, i, "subscriptions/show", http.MethodGet, prefix+url.QueryEscape(c), nil, "Authorization", auth)
		return 0, false, err
	})
	return o.result(CRMShow, n, "request", ""), nil
}

// subscriptionMix walks each worker's customers through create, suspend,
// unsuspend and cancel, round robin, so every call is a valid transition.
func (r *runner) subscriptionMix(ctx context.Context) (Result, error) {
	n := r.cfg.Connections
	w := newWorkers(n)
	defer w.close()
	auth := "Bearer " + r.crmToken
	actions := []string{"create", "suspend", "unsuspend", "cancel"}
	steps := make([][customersPerWorker]int, n) // per worker and customer: the next action
	o := drive(ctx, n, r.cfg.Duration, func(ctx context.Context, i, seq int, _ func()) (int, bool, error) {
		k := seq % customersPerWorker
		action := actions[steps[i][k]%len(actions)]
		steps[i][k]++ // even after a failure: a lost step costs one cycle of errors, not the run
		body := fmt.Appendf(nil, `{"billing_system_customer_identifier":"bw-%s-%d-%d"`, r.data.run, i, k)
		if action == "create" {
			body = append(body, `,"channel":"OTHER"`...)
		}
		body = append(body, '}')
		_, err := w.expect200(ctx, i, "subscriptions/"+action, http.MethodPost, r.srv.base+crm+"netflix/subscriptions/"+action, body, "Authorization", auth)
		return 0, false, err
	})
	return o.result(SubscriptionMix, n, "request", ""), nil
}

type chargeRef struct {
	Number   string `json:"number"`
	Customer string `json:"billing_system_customer_identifier"`
}

// chargesDrain lists and acknowledges PROCESSED charges, 50 at a time,
// until none is left or the duration has passed.
func (r *runner) chargesDrain(ctx context.Context) (Result, error) {
	w := newWorkers(1)
	defer w.close()
	auth := "Bearer " + r.crmToken
	listURL := r.srv.base + crm + "netflix/charges/list?charge_status=PROCESSED&number_of_results=" + strconv.Itoa(drainBatch) + "&offset=0"
	ackURL := r.srv.base + crm + "netflix/charges/acknowledge"
	o := drive(ctx, 1, r.cfg.Duration, func(ctx context.Context, i, _ int, _ func()) (int, bool, error) {
		b, err := w.expect200(ctx, i, "charges/list", http.MethodGet, listURL, nil, "Authorization", auth)
		if err != nil {
			return 0, false, err
		}
		var list struct {
			Data struct {
				Charges []chargeRef `json:"charges_set"`
			} `json:"data"`
		}
		if err := json.Unmarshal(b, &list); err != nil {
			return 0, false, fmt.Errorf("charges/list: %w", err)
		}
		if len(list.Data.Charges) == 0 {
			return 0, true, nil
		}
		body, _ := json.Marshal(map[string]any{"acknowledged_charges_set": list.Data.Charges})
		b, err = w.expect200(ctx, i, "charges/acknowledge", http.MethodPost, ackURL, body, "Authorization", auth)
		if err != nil {
			return 0, false, err
		}
		var ack struct {
			Data struct {
				Failed []json.RawMessage `json:"failed_charges_set"`
			} `json:"data"`
		}
		if err := json.Unmarshal(b, &ack); err != nil {
			return 0, false, fmt.Errorf("charges/acknowledge: %w", err)
		}
		if len(ack.Data.Failed) > 0 {
			return 0, false, fmt.Errorf("charges/acknowledge: %d of %d failed, such as %s", len(ack.Data.Failed), len(list.Data.Charges), ack.Data.Failed[0])
		}
		return len(list.Data.Charges), false, nil
	})
	return o.result(ChargesDrain, 1, "list+ack", "charges"), nil
}

// registerDevices registers 1000 new ESNs per call.
func (r *runner) registerDevices(ctx context.Context) (Result, error) {
	w := newWorkers(1)
	defer w.close()
	auth := "Bearer " + r.crmToken
	u := r.srv.base + crm + "netflix/operators/register_devices"
	type device struct {
		ESN string `json:"esn"`
	}
	o := drive(ctx, 1, r.cfg.Duration, func(ctx context.Context, i, seq int, start func()) (int, bool, error) {
		devices := make([]device, itemsPerCall)
		for j := range devices {
			devices[j].ESN = fmt.Sprintf("BENCH-%s-R%07d-%04d", r.data.run, seq, j)
		}
		body, _ := json.Marshal(map[string]any{
			"group_identifier": map[string]string{"id": strconv.FormatInt(r.data.op.ID, 10)},
			"devices":          devices,
		})
		start()
		b, err := w.expect200(ctx, i, "register_devices", http.MethodPost, u, body, "Authorization", auth)
		if err != nil {
			return 0, false, err
		}
		var res struct {
			Data struct {
				Failed []device `json:"failed_devices_set"`
			} `json:"data"`
		}
		if err := json.Unmarshal(b, &res); err != nil {
			return 0, false, fmt.Errorf("register_devices: %w", err)
		}
		if len(res.Data.Failed) > 0 {
			return 0, false, fmt.Errorf("register_devices: %d of %d failed, such as %s", len(res.Data.Failed), itemsPerCall, res.Data.Failed[0].ESN)
		}
		return itemsPerCall, false, nil
	})
	return o.result(RegisterDevices, 1, "request", "ESNs"), nil
}

// partnerIntake posts signed reports of 1000 new charges.
func (r *runner) partnerIntake(ctx context.Context) (Result, error) {
	w := newWorkers(1)
	defer w.close()
	u := r.srv.base + partnerapi.Path
	operator := strconv.FormatInt(r.data.op.ID, 10)
	type charge struct {
		ID         string      `json:"partner_charge_id"`
		Customer   string      `json:"billing_system_customer_identifier"`
		Amount     json.Number `json:"amount"`
		Currency   string      `json:"currency"`
		ReceivedOn string      `json:"received_on"`
	}
	o := drive(ctx, 1, r.cfg.Duration, func(ctx context.Context, i, seq int, start func()) (int, bool, error) {
		received := time.Now().UTC().Format(face.TimeLayout)
		charges := make([]charge, itemsPerCall)
		for j := range charges {
			charges[j] = charge{
				ID:       fmt.Sprintf("bench-%s-P%07d-%04d", r.data.run, seq, j),
				Customer: r.data.customers[(seq*itemsPerCall+j)%len(r.data.customers)],
				Amount:   "5.99", Currency: "USD", ReceivedOn: received,
			}
		}
		body, _ := json.Marshal(map[string]any{"charges": charges})
		sig := signature.Sign(r.data.partnerSecret, time.Now(), body)
		start()
		b, err := w.expect200(ctx, i, "partner report", http.MethodPost, u, body,
			partnerapi.OperatorHeader, operator, partnerapi.SignatureHeader, sig)
		if err != nil {
			return 0, false, err
		}
		var res struct {
			Results []struct {
				Status string  `json:"status"`
				Error  *string `json:"error"`
			} `json:"results"`
		}
		if err := json.Unmarshal(b, &res); err != nil {
			return 0, false, fmt.Errorf("partner report: %w", err)
		}
		created := 0
		for _, x := range res.Results {
			if x.Status == "created" {
				created++
			} else if x.Error != nil {
				return 0, false, fmt.Errorf("partner report: a charge was %s: %s", x.Status, *x.Error)
			}
		}
		if created != itemsPerCall {
			return 0, false, fmt.Errorf("partner report: %d of %d charges created", created, itemsPerCall)
		}
		return created, false, nil
	})
	return o.result(PartnerIntake, 1, "request", "charges"), nil
}

// rpcWebSocket pipelines Controller.1.status@Netflix on a few WebSockets:
// each keeps wsPipeline requests in flight and matches answers by id.
func (r *runner) rpcWebSocket(ctx context.Context) (Result, error) {
	n := min(wsConnections, r.cfg.Connections)
	u := strings.Replace(r.srv.base, "http://", "ws://", 1) + "/jsonrpc?token=" + url.QueryEscape(r.data.adminToken)
	tallies := make([]*tally, 2*n) // per connection: the reader's and the writer's
	start := time.Now()
	deadline := start.Add(r.cfg.Duration)
	var wg sync.WaitGroup
	for i := range n {
		reads, writes := &tally{}, &tally{}
		tallies[2*i], tallies[2*i+1] = reads, writes
		wg.Go(func() { wsConnection(ctx, u, deadline, reads, writes) })
	}
	wg.Wait()
	o := merge(tallies, time.Since(start))
	res := o.result(RPCWebSocket, n, "request", "")
	res.Pipeline = wsPipeline
	return res, nil
}

// wsConnection is one pipelined WebSocket: answers are recorded in reads
// (by its reading goroutine), failures to send in writes.
func wsConnection(ctx context.Context, u string, deadline time.Time, reads, writes *tally) {
	dctx, cancel := context.WithTimeout(ctx, requestTimeout)
	c, _, err := websocket.Dial(dctx, u, &websocket.DialOptions{
		Subprotocols: []string{"json"},
		HTTPClient:   &http.Client{Transport: &http.Transport{Proxy: nil, DialContext: dialLoopback}},
	})
	cancel()
	if err != nil {
		writes.fail(fmt.Errorf("dial: %w", err))
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(1 << 20)

	var mu sync.Mutex
	sent := map[uint64]time.Time{}
	slots := make(chan struct{}, wsPipeline)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			_, msg, err := c.Read(ctx)
			if err != nil {
				return // closed by the writer below, or by the server
			}
			var answer struct {
				ID    *uint64         `json:"id"`
				Error json.RawMessage `json:"error"`
			}
			if err := json.Unmarshal(msg, &answer); err != nil || answer.ID == nil {
				continue // a notification: not an answer
			}
			mu.Lock()
			t0, ok := sent[*answer.ID]
			delete(sent, *answer.ID)
			mu.Unlock()
			switch {
			case !ok:
				reads.fail(fmt.Errorf("an answer to unknown id %d", *answer.ID))
				continue
			case answer.Error != nil:
				reads.fail(fmt.Errorf("JSON-RPC error %s", answer.Error))
			default:
				reads.ok(time.Since(t0), 0)
			}
			<-slots
		}
	}()

	for id := uint64(1); id <= maxOpsPerWorker && time.Now().Before(deadline); id++ {
		select {
		case slots <- struct{}{}:
		case <-readerDone:
			writes.fail(fmt.Errorf("the connection closed early"))
			return
		case <-ctx.Done():
			return
		}
		msg := fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%d,"method":"Controller.1.status@Netflix"}`, id)
		mu.Lock()
		sent[id] = time.Now()
		mu.Unlock()
		wctx, cancel := context.WithTimeout(ctx, requestTimeout)
		err := c.Write(wctx, websocket.MessageText, msg)
		cancel()
		if err != nil {
			writes.fail(fmt.Errorf("write: %w", err))
			return
		}
	}
	// Wait for the answers in flight: every slot free again.
	wait := time.NewTimer(wsDrainTimeout)
	defer wait.Stop()
drain:
	for range wsPipeline {
		select {
		case slots <- struct{}{}:
		case <-readerDone:
			break drain
		case <-wait.C:
			break drain
		case <-ctx.Done():
			break drain
		}
	}
	c.Close(websocket.StatusNormalClosure, "")
	<-readerDone
	mu.Lock()
	lost := len(sent)
	mu.Unlock()
	for range lost {
		writes.fail(fmt.Errorf("no answer within %s of the end", wsDrainTimeout))
	}
}

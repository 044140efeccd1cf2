package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Limits of the child server's life.
const (
	startTimeout = 60 * time.Second // exec to ready
	stopTimeout  = 20 * time.Second // SIGTERM to exit, then SIGKILL
	readyPoll    = 5 * time.Millisecond
	rssInterval  = 100 * time.Millisecond
)

// child is the server under test: `carebridge serve` in its own process,
// on 127.0.0.1 and a port of the kernel's choosing.
type child struct {
	cmd     *exec.Cmd
	pid     int
	base    string // http://127.0.0.1:port
	pprof   string // http://127.0.0.1:port/debug/pprof/ when started with --debug-addr
	logPath string // its stderr (the access log)

	listening time.Duration // exec to the "listening on" line
	ready     time.Duration // exec to the first 200 of /readyz

	exited  chan struct{} // closed when the process has been waited for
	waitErr error

	mu     sync.Mutex
	stdout []string // its first lines of standard output, for errors
}

// childEnv is the bench's environment without CAREBRIDGE_* variables (a
// CAREBRIDGE_DEMO=true must not change the server under test), plus extra.
func childEnv(extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CAREBRIDGE_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// startChild runs argv plus the listen flags, with the database in
// CAREBRIDGE_DB (so a PostgreSQL password stays off the command line), and
// waits until it answers /readyz.
func startChild(ctx context.Context, argv, extraEnv []string, db, logPath string) (*child, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own descriptor
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	args := append(append([]string{}, argv[1:]...), "--addr", "127.0.0.1:0", "--log-format", "json")
	cmd := exec.Command(argv[0], args...)
	cmd.Env = childEnv(append(append([]string{}, extraEnv...), "CAREBRIDGE_DB="+db))
	cmd.Stdout = outW
	cmd.Stderr = logFile
	cmd.SysProcAttr = sysProcAttr()
	c := &child{cmd: cmd, logPath: logPath, exited: make(chan struct{})}

	// The thread that starts the child must outlive it where the parent's
	// death signal is tied to that thread (Linux's PR_SET_PDEATHSIG): the
	// goroutine keeps its thread locked until the child has exited.
	started := make(chan error, 1)
	var t0 time.Time
	go func() {
		runtime.LockOSThread()
		t0 = time.Now()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	err = <-started
	outW.Close()
	if err != nil {
		outR.Close()
		return nil, fmt.Errorf("start the server: %w", err)
	}
	c.pid = cmd.Process.Pid

	addr := make(chan string, 1)
	go c.readStdout(outR, addr) // ends when the child exits

	fail := func(format string, args ...any) (*child, error) {
		err := fmt.Errorf(format, args...)
		c.stop()
		return nil, fmt.Errorf("%w%s", err, c.diagnostics())
	}
	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	select {
	case a := <-addr:
		c.listening = time.Since(t0)
		c.base = a
	case <-c.exited:
		return fail("the server exited before listening: %v", c.waitErr)
	case <-deadline.C:
		return fail("the server did not listen within %s", startTimeout)
	case <-ctx.Done():
		return fail("%w", ctx.Err())
	}
	u, err := url.Parse(c.base)
	if err != nil || u.Hostname() != "127.0.0.1" {
		return fail("the server listens on %q, not on 127.0.0.1", c.base)
	}

	probe := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}, Timeout: 2 * time.Second}
	defer probe.CloseIdleConnections()
	for attempt := 0; ; attempt++ {
		res, err := probe.Get(c.base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				c.ready = time.Since(t0)
				return c, nil
			}
		}
		select {
		case <-c.exited:
			return fail("the server exited before it was ready: %v", c.waitErr)
		case <-deadline.C:
			return fail("the server was not ready within %s (attempt %d: %v)", startTimeout, attempt, err)
		case <-ctx.Done():
			return fail("%w", ctx.Err())
		case <-time.After(readyPoll):
		}
	}
}

// readStdout finds the "listening on" line, keeps the first lines for
// error messages and drains the rest until the child exits.
func (c *child) readStdout(r *os.File, addr chan<- string) {
	defer r.Close()
	sc := bufio.NewScanner(r)
	found := false
	for sc.Scan() {
		line := sc.Text()
		c.mu.Lock()
		if len(c.stdout) < 20 {
			c.stdout = append(c.stdout, line)
		}
		c.mu.Unlock()
		if _, rest, ok := strings.Cut(line, "listening on "); ok && !found {
			found = true
			u, _, _ := strings.Cut(rest, " ")
			addr <- u
		}
		if _, rest, ok := strings.Cut(line, "profiles on "); ok {
			c.mu.Lock()
			c.pprof = strings.TrimSpace(rest)
			c.mu.Unlock()
		}
	}
}

// diagnostics is the child's output, for an error message.
func (c *child) diagnostics() string {
	var b strings.Builder
	c.mu.Lock()
	if len(c.stdout) > 0 {
		b.WriteString("\nserver stdout:\n  " + strings.Join(c.stdout, "\n  "))
	}
	c.mu.Unlock()
	if log, err := os.ReadFile(c.logPath); err == nil && len(log) > 0 {
		lines := strings.Split(strings.TrimRight(string(log), "\n"), "\n")
		b.WriteString("\nserver log (last lines):\n  " + strings.Join(lines[max(0, len(lines)-15):], "\n  "))
	}
	return b.String()
}

// alive reports an error when the child has exited.
func (c *child) alive() error {
	select {
	case <-c.exited:
		return fmt.Errorf("the server exited during the run: %v%s", c.waitErr, c.diagnostics())
	default:
		return nil
	}
}

// stop sends SIGTERM, and SIGKILL when the server has not exited after
// stopTimeout. It returns the server's exit error, if any.
func (c *child) stop() error {
	select {
	case <-c.exited:
		return c.waitErr
	default:
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		c.cmd.Process.Kill()
	}
	t := time.NewTimer(stopTimeout)
	defer t.Stop()
	select {
	case <-c.exited:
		return c.waitErr
	case <-t.C:
		c.cmd.Process.Kill()
		<-c.exited
		return fmt.Errorf("the server did not stop within %s of SIGTERM and was killed", stopTimeout)
	}
}

// procStatus reads VmRSS and VmHWM (the peak) of a process, in bytes, from
// /proc/<pid>/status.
func procStatus(pid int) (rss, hwm int64, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, err
	}
	return parseStatus(b)
}

// userHz is the unit of /proc/<pid>/stat's CPU times (USER_HZ, 100 on
// every Linux architecture that Go supports).
const userHz = 100

// procCPU reads the CPU time (user plus system) a process has used so far
// from /proc/<pid>/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	return parseStat(b)
}

// parseStat reads utime and stime, the 14th and 15th fields of a
// /proc/<pid>/stat text; the 2nd, the command in parentheses, may itself
// hold spaces and parentheses, so fields are counted after its last ')'.
func parseStat(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("no command field in /proc stat")
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 13 {
		return 0, errors.New("short /proc stat")
	}
	var ticks int64
	for _, f := range fields[11:13] { // utime, stime: fields 14 and 15 overall
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("unexpected /proc stat CPU time %q", f)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHz, nil
}

// cpuMeter measures a process's CPU time from now until the returned
// function is called, which returns it per op in microseconds (0 when it
// cannot be read).
func cpuMeter(pid int) (perOp func(ops int64) float64) {
	start, err := procCPU(pid)
	return func(ops int64) float64 {
		end, err2 := procCPU(pid)
		if err != nil || err2 != nil || ops <= 0 {
			return 0
		}
		return float64((end - start).Microseconds()) / float64(ops)
	}
}

// parseStatus reads VmRSS and VmHWM from a /proc/<pid>/status text.
func parseStatus(b []byte) (rss, hwm int64, err error) {
	found := 0
	for line := range bytes.Lines(b) {
		key, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		var dst *int64
		switch string(key) {
		case "VmRSS":
			dst = &rss
		case "VmHWM":
			dst = &hwm
		default:
			continue
		}
		fields := strings.Fields(string(value))
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, 0, fmt.Errorf("unexpected %s line %q", key, bytes.TrimSpace(line))
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("unexpected %s line %q", key, bytes.TrimSpace(line))
		}
		*dst = kb << 10
		found++
	}
	if found != 2 {
		return 0, 0, errors.New("VmRSS or VmHWM missing")
	}
	return rss, hwm, nil
}

// sampleRSS samples the child's VmRSS every rssInterval until the returned
// function is called, which returns the largest sample (0 when RSS cannot
// be read).
func (c *child) sampleRSS() (stop func() int64) {
	var peak int64
	var mu sync.Mutex
	sample := func() {
		if rss, _, err := procStatus(c.pid); err == nil {
			mu.Lock()
			peak = max(peak, rss)
			mu.Unlock()
		}
	}
	sample()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(rssInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				sample()
			}
		}
	})
	return func() int64 {
		close(done)
		wg.Wait()
		sample()
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// dialLoopback refuses any address but 127.0.0.1: all traffic of the
// bench stays on this machine.
func dialLoopback(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" {
		return nil, fmt.Errorf("bench: refusing to connect to %q: only 127.0.0.1", addr)
	}
	d := net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return d.DialContext(ctx, network, addr)
}

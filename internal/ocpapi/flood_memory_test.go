package ocpapi_test

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// heapInUse is the live heap after a full collection.
func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// A flood of token requests with 40 KB client ids, sent in HTTP Basic (the
// form body is capped at 16 KB, the header is not), must not pile up in the
// server's memory: a client id that long cannot exist, so it is refused
// before it can become a throttle key, and no throttle key may keep the
// bytes of the client id it stands for. The 400 MB the requests carry may
// leave a few MB behind, no more.
//
// The test runs alone (not in parallel) so that the heap it measures is the
// server's and its own. Nearly all of its time is the server reading and
// decoding the 10 000 headers of 53 KB, which the race detector makes
// several times slower; the sending side is a small part of it.
func TestOversizedClientIDFloodMemoryBounded(t *testing.T) {
	const (
		requests  = 10_000
		idBytes   = 40 << 10
		senders   = 2
		maxGrowth = 16 << 20 // the table leak was 400 MB and more
	)
	e := setup(t)
	host := strings.TrimPrefix(e.url, "http://")
	// The requests are written by hand on kept-alive connections: the
	// server's side is what is measured, and the client's own header
	// checks would double the test's time. An id is a 9-digit serial, a
	// multiple of 3 bytes, then the filler, so its Basic credentials are
	// the serial's base64 followed by the filler's, encoded once.
	fillerB64 := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", idBytes) + ":secret"))
	const body = "grant_type=client_credentials"
	head := "POST /v1/oauth/token HTTP/1.1\r\nHost: " + host +
		"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " + strconv.Itoa(len(body)) +
		"\r\nAuthorization: Basic "

	before := heapInUse()
	statuses := make([]map[int]int, senders)
	errs := make([]error, senders)
	var wg sync.WaitGroup
	for s := range senders {
		statuses[s] = map[int]int{}
		wg.Go(func() {
			errs[s] = func() error {
				conn, err := net.Dial("tcp", host)
				if err != nil {
					return err
				}
				defer conn.Close()
				br := bufio.NewReader(conn)
				var buf []byte
				for i := s; i < requests; i += senders {
					serial := fmt.Appendf(nil, "%09d", i)
					buf = append(buf[:0], head...)
					buf = base64.StdEncoding.AppendEncode(buf, serial)
					buf = append(buf, fillerB64...)
					buf = append(buf, "\r\n\r\n"+body...)
					if _, err := conn.Write(buf); err != nil {
						return err
					}
					res, err := http.ReadResponse(br, nil)
					if err != nil {
						return err
					}
					_, err = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if err != nil {
						return err
					}
					statuses[s][res.StatusCode]++
				}
				return nil
			}()
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	growth := heapInUse() - before
	total := map[int]int{}
	for _, m := range statuses {
		for k, v := range m {
			total[k] += v
		}
	}
	t.Logf("%d requests with %d KB client ids: answers %v, heap growth %.1f MB", requests, idBytes>>10, total, float64(growth)/(1<<20))
	if total[http.StatusUnauthorized] != requests {
		t.Errorf("answers %v; want all %d 401 (an impossible client id is refused, not counted)", total, requests)
	}
	if growth > maxGrowth {
		t.Errorf("heap grew by %.1f MB over the flood; want at most %d MB", float64(growth)/(1<<20), maxGrowth>>20)
	}
	runtime.KeepAlive(e)
}

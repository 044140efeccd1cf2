package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// profile starts a CPU profile of the server for the scenario's duration
// when the run has a ProfileDir; the returned function waits for it and
// reports a failure to fetch or write it.
func (r *runner) profile(ctx context.Context, scenario string) (wait func() error) {
	if r.cfg.ProfileDir == "" {
		return func() error { return nil }
	}
	r.srv.mu.Lock()
	base := r.srv.pprof
	r.srv.mu.Unlock()
	if base == "" {
		return func() error { return fmt.Errorf("profile: the server did not announce its profile address") }
	}
	seconds := max(1, int(r.cfg.Duration/time.Second))
	done := make(chan error, 1)
	go func() {
		done <- fetchProfile(ctx, fmt.Sprintf("%sprofile?seconds=%d", base, seconds), filepath.Join(r.cfg.ProfileDir, scenario+".pprof"))
	}()
	return func() error { return <-done }
}

func fetchProfile(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{DialContext: dialLoopback, Proxy: nil}}
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("profile: %s answered %s", url, res.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return fmt.Errorf("profile: %w", err)
	}
	return f.Close()
}

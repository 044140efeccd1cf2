package server

import (
	"context"

	"carebridge"
	"carebridge/internal/demo"
)

// LoadDemo loads the demo data set (see demo.Load) and, when the database
// holds the demo, has every factory reset through this server restore it.
// Each replica started with the demo calls it: whichever replica a reset
// reaches, the demo comes back.
func (s *Server) LoadDemo(ctx context.Context) (carebridge.Operator, bool, error) {
	services := demo.Services{Tenancy: s.Stores.Tenancy, Netflix: s.Netflix, OCP: s.OCP}
	op, loaded, err := demo.Load(ctx, services, s.cfg.Now())
	if loaded {
		s.AfterReset = func(ctx context.Context) error {
			_, _, err := demo.Load(ctx, services, s.cfg.Now())
			return err
		}
	}
	return op, loaded, err
}

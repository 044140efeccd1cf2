package postgres

import (
	"context"
	"time"

	"carebridge/internal/storage"
)

// ClaimDevices relies on the primary key: ESNs are inserted with ON
// CONFLICT DO NOTHING (an insert that meets another transaction's
// uncommitted row waits for it, then does nothing), and a second
// statement, which sees what the others committed, reads those that
// belong to another operator.
func (t netflixTx) ClaimDevices(ctx context.Context, operatorID int64, esns []string, userID int64, at time.Time) ([]string, error) {
	if _, err := t.tx.Exec(ctx, claimDevicesSQL, esns, operatorID, storage.Unix(at), userID); err != nil {
		return nil, err
	}
	rows, err := t.tx.Query(ctx, devicesHeldElsewhereSQL, esns, operatorID)
	return collect(rows, err, nil, storage.ScanString)
}

// ReleaseDevices returns what its DELETE returns: an ESN another
// transaction removed (or moved) meanwhile is not among them.
func (t netflixTx) ReleaseDevices(ctx context.Context, operatorID int64, esns []string) ([]string, error) {
	rows, err := t.tx.Query(ctx, releaseDevicesSQL, operatorID, esns)
	return collect(rows, err, nil, storage.ScanString)
}

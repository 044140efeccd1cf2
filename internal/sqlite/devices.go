package sqlite

import (
	"context"
	"time"

	"carebridge/internal/storage"
)

func (t netflixTx) ClaimDevices(ctx context.Context, operatorID int64, esns []string, userID int64, at time.Time) ([]string, error) {
	list := jsonArray(esns)
	if _, err := t.tx.ExecContext(ctx, claimDevicesSQL, operatorID, storage.Unix(at), userID, list); err != nil {
		return nil, err
	}
	rows, err := t.tx.QueryContext(ctx, devicesHeldElsewhereSQL, list, operatorID)
	return collect(rows, err, nil, storage.ScanString)
}

func (t netflixTx) ReleaseDevices(ctx context.Context, operatorID int64, esns []string) ([]string, error) {
	rows, err := t.tx.QueryContext(ctx, releaseDevicesSQL, operatorID, jsonArray(esns))
	return collect(rows, err, nil, storage.ScanString)
}

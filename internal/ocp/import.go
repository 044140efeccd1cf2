package ocp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"carebridge"
)

// ImportBatch is how many rows of a customer file one transaction stores.
const ImportBatch = 500

// Rejection is a row of a customer file that was not stored, and why.
type Rejection struct {
	Place  string // as ImportFormat.Where names it
	Reason string
}

// ImportReport is what an import did.
type ImportReport struct {
	Read     int // rows read
	Stored   int
	Rejected []Rejection
}

// Import stores the profiles of a customer file, r, in f's format, and
// reports what it did. Each row is checked on its own: a bad row, or one
// repeating the id of an earlier good row, is rejected and the others are
// stored, ImportBatch per transaction. stored, when set, is told after
// each transaction how many rows were read and stored so far. An error
// (a transaction that failed, a file that changed since it was scanned)
// says how many rows were stored before it.
func (s *Service) Import(ctx context.Context, f ImportFormat, r io.Reader, stored func(read, stored int)) (ImportReport, error) {
	var (
		rep    ImportReport
		batch  = make([]Profile, 0, ImportBatch)
		seen   = map[int64]int{} // id → place of the row stored with it
		last   int               // place of the last row read
		failed bool              // storing a batch failed
	)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := s.SaveCustomers(ctx, batch); err != nil {
			failed = true
			return fmt.Errorf("storing the rows up to %s: %s (%d rows were stored before)", f.Where(last), message(err), rep.Stored)
		}
		rep.Stored += len(batch)
		batch = batch[:0]
		if stored != nil {
			stored(rep.Read, rep.Stored)
		}
		return nil
	}
	err := f.Rows(r, func(place int, p Profile, err error) error {
		rep.Read++
		last = place
		if err == nil {
			if first, dup := seen[p.ID]; dup {
				err = carebridge.Errorf(carebridge.EINVALID, "id %d already on %s.", p.ID, f.Where(first))
			}
		}
		if err != nil {
			rep.Rejected = append(rep.Rejected, Rejection{f.Where(place), message(err)})
			return nil
		}
		seen[p.ID] = place
		batch = append(batch, p)
		if len(batch) == ImportBatch {
			return flush()
		}
		return nil
	})
	switch {
	case err == nil:
		err = flush()
	case !failed:
		// The file changed since it was scanned.
		err = fmt.Errorf("%s (%d rows were stored before)", message(err), rep.Stored)
	}
	return rep, err
}

// message is an error as the one line a person reads: a domain error's
// message without its code.
func message(err error) string {
	var ce *carebridge.Error
	if errors.As(err, &ce) {
		return ce.Message
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

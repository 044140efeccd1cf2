package storage

import (
	"reflect"
	"testing"
)

// row is a Scanner over fixed values, as a driver converts them.
type row []any

func (r row) Scan(dest ...any) error {
	for i, d := range dest {
		if sc, ok := d.(interface{ Scan(any) error }); ok { // as database/sql hands a sql.Scanner the value
			if err := sc.Scan(r[i]); err != nil {
				return err
			}
			continue
		}
		v := reflect.ValueOf(d).Elem()
		if r[i] == nil {
			v.Set(reflect.Zero(v.Type()))
			continue
		}
		src := reflect.ValueOf(r[i])
		if v.Kind() == reflect.Pointer {
			p := reflect.New(v.Type().Elem())
			p.Elem().Set(src.Convert(v.Type().Elem()))
			v.Set(p)
			continue
		}
		v.Set(src.Convert(v.Type()))
	}
	return nil
}

func TestScanCharge(t *testing.T) {
	c, err := ScanListedCharge(row{int64(7), int64(2), "P-1", "C-1", int64(1299), "EUR",
		nil, nil, nil, int64(1487671643), "APPROVED", int64(1487671700), nil, nil, nil, true})
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != 7 || c.LocalAmount.Currency != "" || !c.PaidThroughDate.IsZero() || c.ReceivedOn.Unix() != 1487671643 ||
		c.ApprovedOn.Unix() != 1487671700 || !c.DeclinedOn.IsZero() || !c.ListedPending {
		t.Errorf("scanned %+v", c)
	}
	c2, err := ScanCharge(row{int64(8), int64(2), "P-2", "C-1", int64(1299), "EUR",
		int64(5000), "ZAR", int64(1490000000), int64(1487671643), "PENDING", nil, nil, nil, nil})
	if err != nil {
		t.Fatal(err)
	}
	if c2.LocalAmount.Minor != 5000 || c2.LocalAmount.Currency != "ZAR" || c2.PaidThroughDate.Unix() != 1490000000 {
		t.Errorf("scanned %+v", c2)
	}
}

// rows is a cursor over fixed rows.
type rows struct {
	all []row
	at  int
}

func (r *rows) Next() bool             { r.at++; return r.at <= len(r.all) }
func (r *rows) Scan(dest ...any) error { return r.all[r.at-1].Scan(dest...) }
func (r *rows) Err() error             { return nil }

func TestAppend(t *testing.T) {
	ids, err := Append([]int64{}, &rows{}, ScanID)
	if err != nil || ids == nil || len(ids) != 0 {
		t.Errorf("no rows: %v, %v; want an empty list", ids, err)
	}
	ids, err = Append(nil, &rows{all: []row{{int64(3)}, {int64(1)}}}, ScanID)
	if err != nil || !reflect.DeepEqual(ids, []int64{3, 1}) {
		t.Errorf("got %v, %v", ids, err)
	}
}

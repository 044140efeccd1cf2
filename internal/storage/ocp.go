package storage

import (
	"context"
	"encoding/json"
	"time"

	"carebridge/internal/ocp"
)

// ScanProfile reads a row of profileSQL: ocp_services as JSON text.
func ScanProfile(row Scanner) (ocp.Profile, error) {
	var p ocp.Profile
	var email nullString
	var services string
	if err := row.Scan(&p.ID, &p.NSID, &p.Name, &email, &p.EnrollmentLevel, &p.CanViewIP, &p.CanAccessIP, &p.IsRMS, &services, &p.DeviceSubsetStartTime); err != nil {
		return p, err
	}
	p.Email = email.s
	return p, json.Unmarshal([]byte(services), &p.OCPServices)
}

// CustomerColumns are the columns of ocp_customers that a profile's writes
// set, in the order of ProfileArgs: the first is the id, the last
// updated_at.
const CustomerColumns = `id, nsid, name, email, enrollment_level, can_view_ip, can_access_ip, is_rms,
	ocp_services, device_subset_start_time, updated_at`

// ProfileArgs are a profile's values for CustomerColumns, so that every
// write of a profile stores it the same way; ocp_services is JSON text.
func ProfileArgs(p ocp.Profile, at time.Time) ([]any, error) {
	services, err := json.Marshal(p.OCPServices)
	if err != nil {
		return nil, err
	}
	return []any{p.ID, p.NSID, p.Name, NullString(p.Email), string(p.EnrollmentLevel),
		p.CanViewIP, p.CanAccessIP, p.IsRMS, string(services), p.DeviceSubsetStartTime, Unix(at)}, nil
}

// ScanApplication reads a row of applicationByClientIDSQL.
func ScanApplication(row Scanner) (ocp.Application, error) {
	var a ocp.Application
	var created int64
	err := row.Scan(&a.AppID, &a.Name, &a.ClientID, &a.ClientSecretHash, &created)
	a.CreatedAt = FromUnix(created)
	return a, err
}

// OCPQueries are the OCP plugin's queries (ocp.Engine) that read alike on
// both engines; each engine's OCPEngine embeds them.
type OCPQueries struct{ DB DB }

const customerNotFound = "Customer not found."

func (s OCPQueries) Profile(ctx context.Context, id int64) (ocp.Profile, error) {
	p, err := ScanProfile(s.DB.QueryRow(ctx, profileSQL, id))
	return p, NotFound(err, customerNotFound)
}

func (s OCPQueries) GrantedProfile(ctx context.Context, appID, id int64) (ocp.Profile, error) {
	p, err := ScanProfile(s.DB.QueryRow(ctx, grantedProfileSQL, id, appID))
	return p, NotFound(err, customerNotFound)
}

func (s OCPQueries) ApplicationByClientID(ctx context.Context, clientID string) (ocp.Application, error) {
	a, err := ScanApplication(s.DB.QueryRow(ctx, applicationByClientIDSQL, clientID))
	return a, NotFound(err, "No such application.")
}

func (s OCPQueries) PermittedCustomers(ctx context.Context, appID int64) ([]int64, error) {
	return collect(ctx, s.DB, permittedCustomersSQL, []int64{}, ScanID, appID)
}

func (s OCPQueries) Permitted(ctx context.Context, appID, customerID int64) (ok bool, err error) {
	err = s.DB.QueryRow(ctx, permittedSQL, appID, customerID).Scan(&ok)
	return ok, err
}

func (s OCPQueries) Token(ctx context.Context, hash []byte) (int64, time.Time, error) {
	var appID, expires int64
	err := s.DB.QueryRow(ctx, tokenSQL, hash).Scan(&appID, &expires)
	return appID, FromUnix(expires), NotFound(err, "No such token.")
}

// OCPTx are the primitives of ocp.Tx that read alike on both engines, in
// one transaction; each engine's ocpTx embeds them and adds the others.
type OCPTx struct{ Tx Querier }

func (t OCPTx) InsertApplication(ctx context.Context, a ocp.Application) (bool, error) {
	n, err := t.Tx.Exec(ctx, insertApplicationSQL, a.AppID, a.Name, a.ClientID, a.ClientSecretHash, Unix(a.CreatedAt))
	return n == 1, err
}

// InsertCustomer inserts unless the id is taken, in one statement.
func (t OCPTx) InsertCustomer(ctx context.Context, p ocp.Profile, at time.Time) (bool, error) {
	return t.changeCustomer(ctx, insertCustomerSQL, p, at)
}

func (t OCPTx) ReplaceCustomer(ctx context.Context, p ocp.Profile, at time.Time) (bool, error) {
	return t.changeCustomer(ctx, replaceCustomerSQL, p, at)
}

// changeCustomer runs one statement on a profile's columns and tells
// whether it changed a row.
func (t OCPTx) changeCustomer(ctx context.Context, q SQL, p ocp.Profile, at time.Time) (bool, error) {
	args, err := ProfileArgs(p, at)
	if err != nil {
		return false, err
	}
	n, err := t.Tx.Exec(ctx, q, args...)
	return n == 1, err
}

func (t OCPTx) InsertToken(ctx context.Context, hash []byte, appID int64, at, expires time.Time) error {
	_, err := t.Tx.Exec(ctx, insertTokenSQL, hash, appID, Unix(at), Unix(expires))
	return err
}

func (t OCPTx) DeleteTokensExpiredBefore(ctx context.Context, before time.Time) (int64, error) {
	return t.Tx.Exec(ctx, deleteTokensExpiredBeforeSQL, Unix(before))
}

package storage

import (
	"encoding/json"
	"time"

	"carebridge/internal/ocp"
)

// ScanProfile reads a row of Profile: ocp_services as JSON text.
func ScanProfile(row Scanner) (ocp.Profile, error) {
	var p ocp.Profile
	var email *string
	var level, services string
	if err := row.Scan(&p.ID, &p.NSID, &p.Name, &email, &level, &p.CanViewIP, &p.CanAccessIP, &p.IsRMS, &services, &p.DeviceSubsetStartTime); err != nil {
		return p, err
	}
	p.Email, p.EnrollmentLevel = Deref(email), ocp.Level(level)
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

// ScanApplication reads a row of ApplicationByClientID.
func ScanApplication(row Scanner) (ocp.Application, error) {
	var a ocp.Application
	var created int64
	err := row.Scan(&a.AppID, &a.Name, &a.ClientID, &a.ClientSecretHash, &created)
	a.CreatedAt = FromUnix(created)
	return a, err
}

// ApplicationArgs are an application's values for InsertApplication.
func ApplicationArgs(a ocp.Application) []any {
	return []any{a.AppID, a.Name, a.ClientID, a.ClientSecretHash, Unix(a.CreatedAt)}
}

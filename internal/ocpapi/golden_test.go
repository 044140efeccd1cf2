package ocpapi_test

import (
	"os"
	"path/filepath"
	"testing"

	"carebridge/internal/ocp"
)

// goldens pair each route of the OCP document with its example body in
// testdata, copied from the document (seeds/002). The document answers
// enrollment_level with 501 "Not Yet Implemented."; the product implements
// it, so enrollment_level_1649.json is the OCP document's example.
var goldens = []struct{ path, file string }{
	{"/v1/ocp/customers/enrollment_levels", "enrollment_levels.json"},
	{"/v1/ocp/customers/ids", "ids.json"},
	{"/v1/ocp/customers/1649", "customer_1649.json"},
	{"/v1/ocp/customers/1649/enrollment_level", "enrollment_level_1649.json"},
	{"/v1/ocp/customers/1649/customer_profile", "customer_profile_1649.json"},
}

func golden(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGolden(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tok := e.token()
	for _, g := range goldens {
		t.Run(g.file, func(t *testing.T) {
			t.Parallel()
			r := e.get(g.path, tok)
			wantJSON(t, g.path, r, golden(t, g.file))
			if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("%s: Cache-Control = %q, want no-store (customer data)", g.path, cc)
			}
		})
	}
}

// Other customers render their own values: flags, services, level, and an
// email left empty answers "email": "" (the document's shape is a string).
func TestProfileOfOtherCustomers(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := t.Context()
	err := e.app.OCP.SaveCustomers(ctx, []ocp.Profile{{
		Customer: ocp.Customer{ID: 1651, NSID: 0, Name: "Initech"}, CanViewIP: true, IsRMS: true,
		OCPServices: []string{"wireless", "vpn"}, DeviceSubsetStartTime: 1486000000,
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.app.OCP.NewApplication(ctx, 90, "other", "other-secret", []int64{1650, 1651}); err != nil {
		t.Fatal(err)
	}
	tok := e.tokenFor("app-90", "other-secret")
	wantJSON(t, "1650 profile", e.get("/v1/ocp/customers/1650/customer_profile", tok), []byte(`{
		"id": 1650, "customer": {"id": 1650, "nsid": 33333334, "name": "Globex Kiosk"},
		"canviewip": false, "canaccessip": false, "isrms": false,
		"email": "ops@globex.zzz", "ocpenrollmentlast": "Base", "ocpservices": [], "deviceSubsetStartTime": 0}`))
	wantJSON(t, "1650 level", e.get("/v1/ocp/customers/1650/enrollment_level", tok), []byte(`{"id": 1650, "enrollment_level": "Base"}`))
	wantJSON(t, "1651 profile", e.get("/v1/ocp/customers/1651/customer_profile", tok), []byte(`{
		"id": 1651, "customer": {"id": 1651, "nsid": 0, "name": "Initech"},
		"canviewip": true, "canaccessip": false, "isrms": true,
		"email": "", "ocpenrollmentlast": "None", "ocpservices": ["wireless", "vpn"], "deviceSubsetStartTime": 1486000000}`))
	wantJSON(t, "1651", e.get("/v1/ocp/customers/1651", tok), []byte(`{"id": 1651, "nsid": 0, "name": "Initech"}`))
	wantJSON(t, "ids", e.get("/v1/ocp/customers/ids", tok), []byte(`{"appId": 90, "ocpCustomerIds": [1650, 1651]}`))
}

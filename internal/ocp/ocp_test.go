package ocp_test

import (
	"slices"
	"strings"
	"testing"

	"carebridge"
	"carebridge/internal/ocp"
)

func TestParseLevelExactNames(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"None", "Base", "Premium"} {
		l, err := ocp.ParseLevel(name)
		if err != nil || string(l) != name {
			t.Errorf("ParseLevel(%q) = %q, %v; want %q", name, l, err, name)
		}
	}
	for _, name := range []string{"", "premium", "PREMIUM", "none", "base", " Premium", "Premium ", "Gold", "0"} {
		l, err := ocp.ParseLevel(name)
		if carebridge.ErrorCode(err) != carebridge.EINVALID {
			t.Errorf("ParseLevel(%q) = %q, %v; want EINVALID", name, l, err)
		}
		if l != "" {
			t.Errorf("ParseLevel(%q) returned level %q with its error", name, l)
		}
	}
}

func TestLevelsOrder(t *testing.T) {
	t.Parallel()
	want := []ocp.Level{"None", "Base", "Premium"}
	if !slices.Equal(ocp.Levels, want) {
		t.Fatalf("Levels = %q, want %q (least to most, as the document lists them)", ocp.Levels, want)
	}
	if ocp.None != "None" || ocp.Base != "Base" || ocp.Premium != "Premium" {
		t.Fatalf("level names are %q, %q, %q", ocp.None, ocp.Base, ocp.Premium)
	}
}

func TestAllowsResetWireless(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		level   ocp.Level
		allowed bool
	}{
		{ocp.None, false},
		{ocp.Base, false},
		{ocp.Premium, true},
		{"", false},     // no level is not a level
		{"Gold", false}, // nor is an unknown one
		{"premium", false},
	} {
		p := ocp.Profile{Customer: ocp.Customer{ID: 1649, NSID: 33333333, Name: "Acme ATM"}, EnrollmentLevel: c.level}
		err := p.Allows(ocp.ResetWireless)
		if c.allowed {
			if err != nil {
				t.Errorf("%q: Reset Wireless refused: %v", c.level, err)
			}
			continue
		}
		if carebridge.ErrorCode(err) != carebridge.EFORBIDDEN {
			t.Errorf("%q: Allows(ResetWireless) = %v, want EFORBIDDEN", c.level, err)
			continue
		}
		if msg := carebridge.ErrorMessage(err); !strings.Contains(msg, "Premium") {
			t.Errorf("%q: message %q does not name the level needed (Premium)", c.level, msg)
		}
	}
	if ocp.ResetWireless != "Reset Wireless" {
		t.Errorf("ResetWireless = %q, want the document's name", ocp.ResetWireless)
	}
}

func TestAllowsUngatedAction(t *testing.T) {
	t.Parallel()
	p := ocp.Profile{Customer: ocp.Customer{ID: 1650, Name: "Globex"}, EnrollmentLevel: ocp.None}
	if err := p.Allows(ocp.Action("View Customer")); err != nil {
		t.Fatalf("an ungated action refused to a None customer: %v", err)
	}
}

// validProfile is a profile Validate accepts as it is.
func validProfile() ocp.Profile {
	return ocp.Profile{
		Customer: ocp.Customer{ID: 1649, NSID: 33333333, Name: "Acme ATM"},
		Email:    "doug.do@acmeatm.zzz", EnrollmentLevel: ocp.Premium,
		OCPServices: []string{""}, DeviceSubsetStartTime: 0,
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		change func(p *ocp.Profile)
		code   string // "" when valid
	}{
		{"document example", func(p *ocp.Profile) {}, ""},
		{"id zero", func(p *ocp.Profile) { p.ID = 0 }, carebridge.EINVALID},
		{"id negative", func(p *ocp.Profile) { p.ID = -1 }, carebridge.EINVALID},
		{"nsid negative", func(p *ocp.Profile) { p.NSID = -1 }, carebridge.EINVALID},
		{"nsid zero", func(p *ocp.Profile) { p.NSID = 0 }, ""},
		{"name empty", func(p *ocp.Profile) { p.Name = "" }, carebridge.EMISSING},
		{"name 100 characters", func(p *ocp.Profile) { p.Name = strings.Repeat("é", 100) }, ""},
		{"name 101 characters", func(p *ocp.Profile) { p.Name = strings.Repeat("a", 101) }, carebridge.EINVALID},
		{"email empty", func(p *ocp.Profile) { p.Email = "" }, ""},
		{"email without @", func(p *ocp.Profile) { p.Email = "doug.do.acmeatm.zzz" }, carebridge.EINVALID},
		{"email with a display name", func(p *ocp.Profile) { p.Email = "Doug <doug.do@acmeatm.zzz>" }, carebridge.EINVALID},
		{"email without a dot in the domain", func(p *ocp.Profile) { p.Email = "doug@localhost" }, carebridge.EINVALID},
		{"level lower case", func(p *ocp.Profile) { p.EnrollmentLevel = "premium" }, carebridge.EINVALID},
		{"level unknown", func(p *ocp.Profile) { p.EnrollmentLevel = "Gold" }, carebridge.EINVALID},
		{"services several", func(p *ocp.Profile) { p.OCPServices = []string{"wireless", "vpn"} }, ""},
		{"service of 64 bytes", func(p *ocp.Profile) { p.OCPServices = []string{strings.Repeat("s", 64)} }, ""},
		{"service of 65 bytes", func(p *ocp.Profile) { p.OCPServices = []string{"ok", strings.Repeat("s", 65)} }, carebridge.EINVALID},
		{"service not UTF-8", func(p *ocp.Profile) { p.OCPServices = []string{"\xff"} }, carebridge.EINVALID},
		{"deviceSubsetStartTime positive", func(p *ocp.Profile) { p.DeviceSubsetStartTime = 1486000000 }, ""},
		{"deviceSubsetStartTime negative", func(p *ocp.Profile) { p.DeviceSubsetStartTime = -1 }, carebridge.EINVALID},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := validProfile()
			c.change(&p)
			err := p.Validate()
			if got := carebridge.ErrorCode(err); got != c.code {
				t.Fatalf("Validate() = %v (code %q), want code %q", err, got, c.code)
			}
		})
	}
}

func TestValidateDefaults(t *testing.T) {
	t.Parallel()
	p := ocp.Profile{Customer: ocp.Customer{ID: 7, NSID: 1, Name: "Initech"}}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if p.EnrollmentLevel != ocp.None {
		t.Errorf("an empty level became %q, want None", p.EnrollmentLevel)
	}
	if p.OCPServices == nil || len(p.OCPServices) != 0 {
		t.Errorf("nil ocpservices became %#v, want an empty, non-nil list", p.OCPServices)
	}

	// Given values are kept.
	q := validProfile()
	q.EnrollmentLevel = ocp.Base
	if err := q.Validate(); err != nil {
		t.Fatal(err)
	}
	if q.EnrollmentLevel != ocp.Base || !slices.Equal(q.OCPServices, []string{""}) {
		t.Errorf("Validate changed given values: level %q, services %q", q.EnrollmentLevel, q.OCPServices)
	}
}

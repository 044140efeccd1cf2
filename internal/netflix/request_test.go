package netflix_test

import (
	"strings"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/netflix"
)

func ptr[T any](v T) *T { return &v }

// exampleRequest is Example 1 of subscriptions/create in the CRM.COM
// document, with an email and a phone added. Each call returns fresh
// objects, so a mutation never leaks into another case.
func exampleRequest() netflix.CreateRequest {
	return netflix.CreateRequest{
		Customer:         "pci123",
		PromotionCode:    "14",
		Channel:          "OTHER",
		ValidityDuration: ptr[int64](100),
		FirstName:        "Test_8",
		LastName:         "Netflix",
		Address: &netflix.Address{
			Type:            "HOME",
			PostalCode:      "3020",
			StreetName:      "Ilia Papakiriakou",
			StreetNumber:    "8",
			Floor:           ptr[int64](2),
			ApartmentNumber: "202",
			Area:            "Plati",
			TownCity:        "Aglanjia",
			District:        "Nicosia",
			Municipality:    "Aglanjia",
			Country:         &netflix.Country{TwoCharacterCode: "CY"},
			POBox:           "70022",
			POBoxPostalCode: "AG70022",
			CareOf:          "Maria Kyriacou",
		},
		Email: &netflix.Email{Type: "PERSONAL", Address: "doug.do@acmeatm.zzz"},
		Phone: &netflix.Phone{Type: "MOBILE", Number: "+357 22 123456"},
	}
}

// international is a valid address in the International format.
func international() *netflix.Address {
	return &netflix.Address{
		Type:                "BUSINESS",
		PostalCode:          "SW1A 1AA",
		TownCity:            "London",
		Country:             &netflix.Country{ThreeCharacterCode: "GBR"},
		AddressLine1:        "10 Downing Street",
		AddressLine2:        "Westminster",
		StateProvinceCounty: "Greater London",
	}
}

func TestCreateRequestExampleIsValid(t *testing.T) {
	t.Parallel()
	r := exampleRequest()
	if err := r.Validate(); err != nil {
		t.Fatalf("Validate() of the document's example = %v; want nil", err)
	}
	minimal := netflix.CreateRequest{Customer: "pci123"}
	if err := minimal.Validate(); err != nil {
		t.Fatalf("Validate() of a request with only the customer = %v; want nil", err)
	}
}

func TestCreateRequestValidateAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(r *netflix.CreateRequest)
	}{
		{"customer of 128 characters", func(r *netflix.CreateRequest) { r.Customer = strings.Repeat("c", 128) }},
		{"customer of 128 multi-byte characters", func(r *netflix.CreateRequest) { r.Customer = strings.Repeat("ü", 128) }},
		{"no promotion code", func(r *netflix.CreateRequest) { r.PromotionCode = "" }},
		{"no channel", func(r *netflix.CreateRequest) { r.Channel = "" }},
		{"channel WEB", func(r *netflix.CreateRequest) { r.Channel = "WEB" }},
		{"channel STORE", func(r *netflix.CreateRequest) { r.Channel = "STORE" }},
		{"channel MOBILE", func(r *netflix.CreateRequest) { r.Channel = "MOBILE" }},
		{"channel BROADBAND", func(r *netflix.CreateRequest) { r.Channel = "BROADBAND" }},
		{"no validity", func(r *netflix.CreateRequest) { r.ValidityDuration = nil }},
		{"validity 1", func(r *netflix.CreateRequest) { r.ValidityDuration = ptr[int64](1) }},
		{"validity 86400", func(r *netflix.CreateRequest) { r.ValidityDuration = ptr[int64](86400) }},
		{"no names", func(r *netflix.CreateRequest) { r.FirstName, r.LastName = "", "" }},
		{"no address, email or phone", func(r *netflix.CreateRequest) { r.Address, r.Email, r.Phone = nil, nil, nil }},
		{"address is_primary in CRM.COM format", func(r *netflix.CreateRequest) { r.Address.IsPrimary = ptr(true) }},
		{"address without country", func(r *netflix.CreateRequest) { r.Address.Country = nil }},
		{"address floor -50", func(r *netflix.CreateRequest) { r.Address.Floor = ptr[int64](-50) }},
		{"address floor 300", func(r *netflix.CreateRequest) { r.Address.Floor = ptr[int64](300) }},
		{"address floor 0", func(r *netflix.CreateRequest) { r.Address.Floor = ptr[int64](0) }},
		{"POBOX with po_box and no street_name", func(r *netflix.CreateRequest) {
			r.Address = &netflix.Address{Type: "POBOX", POBox: "70022", POBoxPostalCode: "AG70022"}
		}},
		{"International format", func(r *netflix.CreateRequest) { r.Address = international() }},
		{"International format with address_line_1 only", func(r *netflix.CreateRequest) {
			r.Address = &netflix.Address{Type: "HOME", AddressLine1: "1 Main St"}
		}},
		{"International POBOX needs no po_box", func(r *netflix.CreateRequest) {
			a := international()
			a.Type = "POBOX"
			r.Address = a
		}},
		{"country by id", func(r *netflix.CreateRequest) { r.Address.Country = &netflix.Country{ID: "42"} }},
		{"country by name", func(r *netflix.CreateRequest) { r.Address.Country = &netflix.Country{Name: "Cyprus"} }},
		{"country by alternative_code", func(r *netflix.CreateRequest) { r.Address.Country = &netflix.Country{AlternativeCode: "CYP-1"} }},
		{"country by three_character_code", func(r *netflix.CreateRequest) { r.Address.Country = &netflix.Country{ThreeCharacterCode: "CYP"} }},
		{"country codes in lower case", func(r *netflix.CreateRequest) {
			r.Address.Country = &netflix.Country{TwoCharacterCode: "cy", ThreeCharacterCode: "cyp"}
		}},
		{"email type BUSINESS", func(r *netflix.CreateRequest) { r.Email.Type = "BUSINESS" }},
		{"email with notes", func(r *netflix.CreateRequest) { r.Email.Notes = "work address" }},
		{"phone type LANDLINE", func(r *netflix.CreateRequest) { r.Phone.Type = "LANDLINE" }},
		{"phone type FAX", func(r *netflix.CreateRequest) { r.Phone.Type = "FAX" }},
		{"phone with punctuation", func(r *netflix.CreateRequest) { r.Phone.Number = "+1 (555) 123-4567." }},
		{"phone of 32 characters", func(r *netflix.CreateRequest) { r.Phone.Number = strings.Repeat("1", 32) }},
		{"phone of 3 digits", func(r *netflix.CreateRequest) { r.Phone.Number = "112" }},
		{"phone area code", func(r *netflix.CreateRequest) { r.Phone.AreaCode = "22" }},
		{"phone country", func(r *netflix.CreateRequest) { r.Phone.Country = &netflix.Country{TwoCharacterCode: "CY"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := exampleRequest()
			tt.mutate(&r)
			if err := r.Validate(); err != nil {
				t.Fatalf("Validate() = %v; want nil", err)
			}
		})
	}
}

func TestCreateRequestValidateRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		mutate   func(r *netflix.CreateRequest)
		wantCode string
		wantPath string // the parameter the message must name
	}{
		// Top-level parameters.
		{"missing customer", func(r *netflix.CreateRequest) { r.Customer = "" },
			carebridge.EMISSING, "billing_system_customer_identifier"},
		{"customer of 129 characters", func(r *netflix.CreateRequest) { r.Customer = strings.Repeat("c", 129) },
			carebridge.EINVALID, "billing_system_customer_identifier"},
		{"customer with a control character", func(r *netflix.CreateRequest) { r.Customer = "pci\n123" },
			carebridge.EINVALID, "billing_system_customer_identifier"},
		{"customer not UTF-8", func(r *netflix.CreateRequest) { r.Customer = "pci\xff" },
			carebridge.EINVALID, "billing_system_customer_identifier"},
		{"promotion code of 65 characters", func(r *netflix.CreateRequest) { r.PromotionCode = strings.Repeat("p", 65) },
			carebridge.EINVALID, "promotion_code"},
		{"bad channel", func(r *netflix.CreateRequest) { r.Channel = "TV" },
			carebridge.EINVALID, "channel"},
		{"channel in lower case", func(r *netflix.CreateRequest) { r.Channel = "web" },
			carebridge.EINVALID, "channel"},
		{"validity 0", func(r *netflix.CreateRequest) { r.ValidityDuration = ptr[int64](0) },
			carebridge.EINVALID, "validity_duration"},
		{"validity -1", func(r *netflix.CreateRequest) { r.ValidityDuration = ptr[int64](-1) },
			carebridge.EINVALID, "validity_duration"},
		{"validity 86401", func(r *netflix.CreateRequest) { r.ValidityDuration = ptr[int64](86401) },
			carebridge.EINVALID, "validity_duration"},
		{"control character in first name", func(r *netflix.CreateRequest) { r.FirstName = "Test\x008" },
			carebridge.EINVALID, "customer_first_name"},
		{"DEL in last name", func(r *netflix.CreateRequest) { r.LastName = "Net\x7fflix" },
			carebridge.EINVALID, "customer_last_name"},
		{"first name of 256 characters", func(r *netflix.CreateRequest) { r.FirstName = strings.Repeat("n", 256) },
			carebridge.EINVALID, "customer_first_name"},

		// Address, either format.
		{"address without type", func(r *netflix.CreateRequest) { r.Address.Type = "" },
			carebridge.EMISSING, "customer_address.type"},
		{"bad address type", func(r *netflix.CreateRequest) { r.Address.Type = "OFFICE" },
			carebridge.EINVALID, "customer_address.type"},
		{"address type in lower case", func(r *netflix.CreateRequest) { r.Address.Type = "home" },
			carebridge.EINVALID, "customer_address.type"},
		{"address text with a control character", func(r *netflix.CreateRequest) { r.Address.TownCity = "Agla\tnjia" },
			carebridge.EINVALID, "customer_address.town_city"},
		{"address text of 256 characters", func(r *netflix.CreateRequest) { r.Address.CareOf = strings.Repeat("m", 256) },
			carebridge.EINVALID, "customer_address.care_of"},

		// CRM.COM format.
		{"CRM.COM format without street_name", func(r *netflix.CreateRequest) { r.Address.StreetName = "" },
			carebridge.EMISSING, "customer_address.street_name"},
		{"POBOX without po_box", func(r *netflix.CreateRequest) {
			r.Address = &netflix.Address{Type: "POBOX", StreetName: "Ilia Papakiriakou"}
		}, carebridge.EMISSING, "customer_address.po_box"},
		{"floor -51", func(r *netflix.CreateRequest) { r.Address.Floor = ptr[int64](-51) },
			carebridge.EINVALID, "customer_address.floor"},
		{"floor 301", func(r *netflix.CreateRequest) { r.Address.Floor = ptr[int64](301) },
			carebridge.EINVALID, "customer_address.floor"},

		// International format.
		{"International with address_line_2 but no address_line_1", func(r *netflix.CreateRequest) {
			a := international()
			a.AddressLine1 = ""
			r.Address = a
		}, carebridge.EMISSING, "customer_address.address_line_1"},
		{"International with state_province_county only", func(r *netflix.CreateRequest) {
			r.Address = &netflix.Address{Type: "HOME", StateProvinceCounty: "Nicosia"}
		}, carebridge.EMISSING, "customer_address.address_line_1"},
		{"International mixed with street_name", func(r *netflix.CreateRequest) {
			a := international()
			a.StreetName = "Downing Street"
			r.Address = a
		}, carebridge.EINVALID, "customer_address.street_name"},
		{"International mixed with floor", func(r *netflix.CreateRequest) {
			a := international()
			a.Floor = ptr[int64](2)
			r.Address = a
		}, carebridge.EINVALID, "customer_address.floor"},
		{"International mixed with is_primary", func(r *netflix.CreateRequest) {
			a := international()
			a.IsPrimary = ptr(false)
			r.Address = a
		}, carebridge.EINVALID, "customer_address.is_primary"},
		{"International mixed with po_box", func(r *netflix.CreateRequest) {
			a := international()
			a.POBox = "70022"
			r.Address = a
		}, carebridge.EINVALID, "customer_address.po_box"},
		{"CRM.COM example with address_line_1 added", func(r *netflix.CreateRequest) { r.Address.AddressLine1 = "1 Main St" },
			carebridge.EINVALID, "customer_address."},

		// Country identifier.
		{"country identifier empty object", func(r *netflix.CreateRequest) { r.Address.Country = &netflix.Country{} },
			carebridge.EMISSING, "customer_address.country_identifier"},
		{"two_character_code CYP", func(r *netflix.CreateRequest) { r.Address.Country = &netflix.Country{TwoCharacterCode: "CYP"} },
			carebridge.EINVALID, "customer_address.country_identifier.two_character_code"},
		{"two_character_code with a digit", func(r *netflix.CreateRequest) { r.Address.Country = &netflix.Country{TwoCharacterCode: "C1"} },
			carebridge.EINVALID, "customer_address.country_identifier.two_character_code"},
		{"three_character_code CY", func(r *netflix.CreateRequest) { r.Address.Country = &netflix.Country{ThreeCharacterCode: "CY"} },
			carebridge.EINVALID, "customer_address.country_identifier.three_character_code"},
		{"country name with a control character", func(r *netflix.CreateRequest) { r.Address.Country = &netflix.Country{Name: "Cy\x01prus"} },
			carebridge.EINVALID, "customer_address.country_identifier.name"},

		// Email.
		{"email without type", func(r *netflix.CreateRequest) { r.Email.Type = "" },
			carebridge.EMISSING, "customer_email.type"},
		{"bad email type", func(r *netflix.CreateRequest) { r.Email.Type = "HOME" },
			carebridge.EINVALID, "customer_email.type"},
		{"email without email_address", func(r *netflix.CreateRequest) { r.Email.Address = "" },
			carebridge.EMISSING, "customer_email.email_address"},
		{"email address without @", func(r *netflix.CreateRequest) { r.Email.Address = "a" },
			carebridge.EINVALID, "customer_email.email_address"},
		{"email notes with a control character", func(r *netflix.CreateRequest) { r.Email.Notes = "a\x02b" },
			carebridge.EINVALID, "customer_email.notes"},

		// Phone.
		{"phone without type", func(r *netflix.CreateRequest) { r.Phone.Type = "" },
			carebridge.EMISSING, "customer_phone.type"},
		{"bad phone type HOME", func(r *netflix.CreateRequest) { r.Phone.Type = "HOME" },
			carebridge.EINVALID, "customer_phone.type"},
		{"phone without number", func(r *netflix.CreateRequest) { r.Phone.Number = "" },
			carebridge.EMISSING, "customer_phone.number"},
		{"phone number with letters", func(r *netflix.CreateRequest) { r.Phone.Number = "+357 22 ABC456" },
			carebridge.EINVALID, "customer_phone.number"},
		{"phone number of 33 characters", func(r *netflix.CreateRequest) { r.Phone.Number = strings.Repeat("1", 33) },
			carebridge.EINVALID, "customer_phone.number"},
		{"phone number of 2 digits", func(r *netflix.CreateRequest) { r.Phone.Number = "+(1)2" },
			carebridge.EINVALID, "customer_phone.number"},
		{"phone number of punctuation only", func(r *netflix.CreateRequest) { r.Phone.Number = "+ ( ) -" },
			carebridge.EINVALID, "customer_phone.number"},
		{"phone area code with letters", func(r *netflix.CreateRequest) { r.Phone.AreaCode = "2a" },
			carebridge.EINVALID, "customer_phone.area_code"},
		{"phone country identifier empty object", func(r *netflix.CreateRequest) { r.Phone.Country = &netflix.Country{} },
			carebridge.EMISSING, "customer_phone.country_identifier"},
		{"phone notes of 256 characters", func(r *netflix.CreateRequest) { r.Phone.Notes = strings.Repeat("n", 256) },
			carebridge.EINVALID, "customer_phone.notes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := exampleRequest()
			tt.mutate(&r)
			err := r.Validate()
			if code := carebridge.ErrorCode(err); code != tt.wantCode {
				t.Fatalf("Validate() code = %q (%v); want %q", code, err, tt.wantCode)
			}
			if msg := carebridge.ErrorMessage(err); !strings.Contains(msg, tt.wantPath) {
				t.Errorf("Validate() message = %q; want it to name %q", msg, tt.wantPath)
			}
		})
	}
}

// TestCreateRequestEnumerations accepts every value the CRM.COM document
// lists for each enumeration (spelled here, not taken from the package).
func TestCreateRequestEnumerations(t *testing.T) {
	t.Parallel()
	enums := []struct {
		param  string
		values []string
		set    func(r *netflix.CreateRequest, v string)
	}{
		{"channel", []string{"WEB", "STORE", "MOBILE", "BROADBAND", "OTHER"},
			func(r *netflix.CreateRequest, v string) { r.Channel = v }},
		{"customer_address.type", []string{"HOME", "BUSINESS", "CUSTOM1", "CUSTOM2", "CUSTOM3", "CUSTOM4", "CUSTOM5"},
			func(r *netflix.CreateRequest, v string) { r.Address.Type = v }},
		{"customer_phone.type", []string{"LANDLINE", "MOBILE", "FAX", "CUSTOM1", "CUSTOM2", "CUSTOM3", "CUSTOM4", "CUSTOM5"},
			func(r *netflix.CreateRequest, v string) { r.Phone.Type = v }},
		{"customer_email.type", []string{"PERSONAL", "BUSINESS", "CUSTOM1", "CUSTOM2", "CUSTOM3", "CUSTOM4", "CUSTOM5"},
			func(r *netflix.CreateRequest, v string) { r.Email.Type = v }},
	}
	for _, e := range enums {
		for _, v := range e.values {
			t.Run(e.param+"="+v, func(t *testing.T) {
				t.Parallel()
				r := exampleRequest()
				e.set(&r, v)
				if err := r.Validate(); err != nil {
					t.Fatalf("Validate() with %s %q = %v; want nil", e.param, v, err)
				}
			})
		}
	}
}

func TestCreateRequestEmailAddresses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		address string
		valid   bool
	}{
		{"doug.do@acmeatm.zzz", true},
		{"first.last+tag@example.co.uk", true},
		{"o'brien@example.com", true},
		{"a@b.cy", true},
		{"a", false},
		{"a@b", false},              // no dot in the domain
		{"a b@c.com", false},        // space
		{"a\t@c.com", false},        // tab
		{"Name <a@b.com>", false},   // display name
		{"<a@b.com>", false},        // angle brackets
		{".a@b.com", false},         // local part begins with a dot
		{"a.@b.com", false},         // local part ends with a dot
		{"a..b@c.com", false},       // two dots in the local part
		{"a@.b.com", false},         // domain begins with a dot
		{"a@b.com.", false},         // domain ends with a dot
		{"a@b..com", false},         // empty domain label
		{"@b.com", false},           // empty local part
		{"a@", false},               // empty domain
		{"a@b@c.com", false},        // two @
		{`"jd"@b.com`, false},       // quoted local part
		{"a@b.com(comment)", false}, // comment
		{"a@b.com\r\n", false},      // line break
		{"a@b.com, c@d.com", false}, // a list
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com", false}, // 255 characters
	}
	for _, tt := range tests {
		t.Run(tt.address, func(t *testing.T) {
			t.Parallel()
			if got := carebridge.ValidEmail(tt.address); got != tt.valid {
				t.Errorf("ValidEmail(%q) = %v; want %v", tt.address, got, tt.valid)
			}
			r := exampleRequest()
			r.Email.Address = tt.address
			err := r.Validate()
			if tt.valid {
				if err != nil {
					t.Errorf("Validate() with %q = %v; want nil", tt.address, err)
				}
				return
			}
			if code := carebridge.ErrorCode(err); code != carebridge.EINVALID {
				t.Fatalf("Validate() with %q code = %q (%v); want %q", tt.address, code, err, carebridge.EINVALID)
			}
			if msg := carebridge.ErrorMessage(err); !strings.Contains(msg, "customer_email.email_address") {
				t.Errorf("Validate() message = %q; want it to name customer_email.email_address", msg)
			}
		})
	}
}

func TestValidEmailLengthLimit(t *testing.T) {
	t.Parallel()
	// 254 characters is the longest address accepted.
	ok := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 61) + "." + strings.Repeat("c", 61) + "." + strings.Repeat("d", 61) + ".com"
	if len(ok) != 254 {
		t.Fatalf("test address is %d characters; want 254", len(ok))
	}
	if !carebridge.ValidEmail(ok) {
		t.Errorf("ValidEmail(254 characters) = false; want true")
	}
	if carebridge.ValidEmail("a" + ok) {
		t.Errorf("ValidEmail(255 characters) = true; want false")
	}
}

func TestCreateRequestValidity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		duration *int64
		want     time.Duration
	}{
		{"default", nil, 3600 * time.Second},
		{"explicit 100", ptr[int64](100), 100 * time.Second},
		{"explicit 1", ptr[int64](1), time.Second},
		{"explicit 86400", ptr[int64](86400), 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := netflix.CreateRequest{Customer: "pci123", ValidityDuration: tt.duration}
			if got := r.Validity(); got != tt.want {
				t.Errorf("Validity() = %v; want %v", got, tt.want)
			}
		})
	}
	if netflix.DefaultValidity != time.Hour {
		t.Errorf("DefaultValidity = %v; want 1h", netflix.DefaultValidity)
	}
}

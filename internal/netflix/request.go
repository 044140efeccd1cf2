package netflix

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"carebridge"
)

// CreateRequest is subscriptions/create's input after the wire face has
// checked JSON types. Validate checks everything else.
type CreateRequest struct {
	Customer         string
	PromotionCode    string
	Channel          string
	ValidityDuration *int64 // seconds; nil: DefaultValidity
	FirstName        string
	LastName         string
	Address          *Address
	Email            *Email
	Phone            *Phone
}

// The json tags below are the CRM.COM names; they are also how the objects
// are kept in the store.

// Address is either of the two CRM.COM address formats: the CRM.COM format
// (street_name, floor, po_box…) or the International format
// (address_line_1…). A request uses one or the other, never a mix.
type Address struct {
	Type      string `json:"type"`
	IsPrimary *bool  `json:"is_primary,omitempty"`

	PostalCode      string   `json:"postal_code,omitempty"`
	StreetName      string   `json:"street_name,omitempty"`
	StreetNumber    string   `json:"street_number,omitempty"`
	Floor           *int64   `json:"floor,omitempty"`
	ApartmentNumber string   `json:"apartment_number,omitempty"`
	Area            string   `json:"area,omitempty"`
	TownCity        string   `json:"town_city,omitempty"`
	District        string   `json:"district,omitempty"`
	Municipality    string   `json:"municipality,omitempty"`
	Country         *Country `json:"country_identifier,omitempty"`
	POBox           string   `json:"po_box,omitempty"`
	POBoxPostalCode string   `json:"po_box_postal_code,omitempty"`
	CareOf          string   `json:"care_of,omitempty"`

	AddressLine1        string `json:"address_line_1,omitempty"`
	AddressLine2        string `json:"address_line_2,omitempty"`
	StateProvinceCounty string `json:"state_province_county,omitempty"`

	UDF UDF `json:"udf,omitempty"`
}

// International tells which of the two formats the address uses.
func (a *Address) International() bool {
	return a.AddressLine1 != "" || a.AddressLine2 != "" || a.StateProvinceCounty != ""
}

// Email is a customer's email object.
type Email struct {
	Type      string `json:"type"`
	IsPrimary *bool  `json:"is_primary,omitempty"`
	Address   string `json:"email_address"`
	Notes     string `json:"notes,omitempty"`
	UDF       UDF    `json:"udf,omitempty"`
}

// Phone is a customer's phone object.
type Phone struct {
	Type      string   `json:"type"`
	IsPrimary *bool    `json:"is_primary,omitempty"`
	Number    string   `json:"number"`
	AreaCode  string   `json:"area_code,omitempty"`
	Country   *Country `json:"country_identifier,omitempty"`
	Notes     string   `json:"notes,omitempty"`
	UDF       UDF      `json:"udf,omitempty"`
}

// Country identifies a country by any of its identifiers ("semi-optional":
// at least one).
type Country struct {
	ID                 string `json:"id,omitempty"`
	Name               string `json:"name,omitempty"`
	AlternativeCode    string `json:"alternative_code,omitempty"`
	TwoCharacterCode   string `json:"two_character_code,omitempty"`
	ThreeCharacterCode string `json:"three_character_code,omitempty"`
}

// UDF holds user-defined fields by their CRM.COM names (udf_string_3,
// udf_float_1, udf_date_2): strings, float64s and times. The wire face
// checks names and types.
type UDF map[string]any

// How many user-defined fields of each kind an object accepts.
type UDFLimits struct{ Strings, Floats, Dates int }

var (
	AddressUDFs = UDFLimits{Strings: 16, Floats: 4, Dates: 4}
	PhoneUDFs   = UDFLimits{Strings: 8, Floats: 4, Dates: 4}
	EmailUDFs   = UDFLimits{Strings: 8, Floats: 4, Dates: 4}
)

// Enumerations of the CRM.COM document.
var (
	Channels     = []string{"WEB", "STORE", "MOBILE", "BROADBAND", "OTHER"}
	AddressTypes = []string{"HOME", "BUSINESS", "POBOX", "CUSTOM1", "CUSTOM2", "CUSTOM3", "CUSTOM4", "CUSTOM5"}
	PhoneTypes   = []string{"LANDLINE", "MOBILE", "FAX", "CUSTOM1", "CUSTOM2", "CUSTOM3", "CUSTOM4", "CUSTOM5"}
	EmailTypes   = []string{"PERSONAL", "BUSINESS", "CUSTOM1", "CUSTOM2", "CUSTOM3", "CUSTOM4", "CUSTOM5"}
)

const (
	DefaultValidity = 3600 * time.Second
	MaxValidity     = 86400 // seconds: "up to 24 hours"

	maxCustomerLen = 128
	maxTextLen     = 255
)

// Validity is the Netflix token's lifetime the request asks for.
func (r *CreateRequest) Validity() time.Duration {
	if r.ValidityDuration == nil {
		return DefaultValidity
	}
	return time.Duration(*r.ValidityDuration) * time.Second
}

// Validate checks every rule of the CRM.COM document, and of the README's
// decisions, that does not need the store, and returns the first broken
// one.
func (r *CreateRequest) Validate() error {
	if err := ValidateCustomer(r.Customer); err != nil {
		return err
	}
	if r.PromotionCode != "" {
		if err := checkText("promotion_code", r.PromotionCode, 64); err != nil {
			return err
		}
	}
	if r.Channel != "" {
		if err := checkEnum("channel", r.Channel, Channels); err != nil {
			return err
		}
	}
	if v := r.ValidityDuration; v != nil {
		if err := checkValidity(*v); err != nil {
			return err
		}
	}
	if err := checkText("customer_first_name", r.FirstName, maxTextLen); err != nil {
		return err
	}
	if err := checkText("customer_last_name", r.LastName, maxTextLen); err != nil {
		return err
	}
	if r.Address != nil {
		if err := r.Address.validate("customer_address"); err != nil {
			return err
		}
	}
	if r.Email != nil {
		if err := r.Email.validate("customer_email"); err != nil {
			return err
		}
	}
	if r.Phone != nil {
		if err := r.Phone.validate("customer_phone"); err != nil {
			return err
		}
	}
	return nil
}

// checkValidity checks a token's lifetime in seconds, as create and a
// reissued token both take it.
func checkValidity(seconds int64) error {
	if seconds < 1 || seconds > MaxValidity {
		return invalid("validity_duration must be between 1 and %d seconds (24 hours).", MaxValidity)
	}
	return nil
}

// ValidateCustomer checks a billing_system_customer_identifier: blank is
// missing, and surrounding spaces are refused rather than trimmed, so that
// "pci123 " never becomes a second customer beside "pci123".
func ValidateCustomer(c string) error {
	return validateCustomerAs("billing_system_customer_identifier", c)
}

// validateCustomerAs is ValidateCustomer for a parameter of another name.
func validateCustomerAs(name, c string) error {
	if strings.TrimSpace(c) == "" {
		return missing(name)
	}
	if strings.TrimSpace(c) != c {
		return invalid("%s must not begin or end with spaces.", name)
	}
	return checkText(name, c, maxCustomerLen)
}

func (a *Address) validate(path string) error {
	if a.Type == "" {
		return missing(path + ".type")
	}
	if err := checkEnum(path+".type", a.Type, AddressTypes); err != nil {
		return err
	}
	texts := []struct{ name, value string }{
		{"postal_code", a.PostalCode}, {"street_name", a.StreetName}, {"street_number", a.StreetNumber},
		{"apartment_number", a.ApartmentNumber}, {"area", a.Area}, {"town_city", a.TownCity},
		{"district", a.District}, {"municipality", a.Municipality}, {"po_box", a.POBox},
		{"po_box_postal_code", a.POBoxPostalCode}, {"care_of", a.CareOf},
		{"address_line_1", a.AddressLine1}, {"address_line_2", a.AddressLine2},
		{"state_province_county", a.StateProvinceCounty},
	}
	for _, f := range texts {
		if err := checkText(path+"."+f.name, f.value, maxTextLen); err != nil {
			return err
		}
	}
	if a.International() {
		// The International format has none of the CRM.COM format's
		// street-level fields; a mix is ambiguous, so it is refused.
		crmOnly := []struct {
			name string
			set  bool
		}{
			{"is_primary", a.IsPrimary != nil}, {"street_name", a.StreetName != ""},
			{"street_number", a.StreetNumber != ""}, {"floor", a.Floor != nil},
			{"apartment_number", a.ApartmentNumber != ""}, {"area", a.Area != ""},
			{"district", a.District != ""}, {"municipality", a.Municipality != ""},
			{"po_box", a.POBox != ""}, {"po_box_postal_code", a.POBoxPostalCode != ""},
			{"care_of", a.CareOf != ""},
		}
		for _, f := range crmOnly {
			if f.set {
				return invalid("%s.%s belongs to the CRM.COM address format and cannot be combined with address_line_1 (International format).", path, f.name)
			}
		}
		if a.AddressLine1 == "" {
			return missing(path + ".address_line_1")
		}
	} else {
		// CRM.COM format: a street address needs its street; a PO box
		// address needs its box instead.
		if a.Type == "POBOX" {
			if a.POBox == "" {
				return missing(path + ".po_box")
			}
		} else if a.StreetName == "" {
			return missing(path + ".street_name")
		}
		if a.Floor != nil && (*a.Floor < -50 || *a.Floor > 300) {
			return invalid("%s.floor must be between -50 and 300.", path)
		}
	}
	if a.Country != nil {
		if err := a.Country.validate(path + ".country_identifier"); err != nil {
			return err
		}
	}
	return nil
}

func (e *Email) validate(path string) error {
	if e.Type == "" {
		return missing(path + ".type")
	}
	if err := checkEnum(path+".type", e.Type, EmailTypes); err != nil {
		return err
	}
	if e.Address == "" {
		return missing(path + ".email_address")
	}
	if !carebridge.ValidEmail(e.Address) {
		return invalid("%s.email_address %q is not a valid email address.", path, e.Address)
	}
	return checkText(path+".notes", e.Notes, maxTextLen)
}

func (p *Phone) validate(path string) error {
	if p.Type == "" {
		return missing(path + ".type")
	}
	if err := checkEnum(path+".type", p.Type, PhoneTypes); err != nil {
		return err
	}
	if p.Number == "" {
		return missing(path + ".number")
	}
	if !validPhone(p.Number, 3) {
		return invalid("%s.number must be 3 to 32 characters of digits, spaces and + - ( ) .", path)
	}
	if p.AreaCode != "" && !validPhone(p.AreaCode, 1) {
		return invalid("%s.area_code must be 1 to 32 characters of digits, spaces and + - ( ) .", path)
	}
	if p.Country != nil {
		if err := p.Country.validate(path + ".country_identifier"); err != nil {
			return err
		}
	}
	return checkText(path+".notes", p.Notes, maxTextLen)
}

func (c *Country) validate(path string) error {
	if *c == (Country{}) {
		return carebridge.Errorf(carebridge.EMISSING,
			"%s needs at least one of id, name, alternative_code, two_character_code, three_character_code.", path)
	}
	for _, f := range []struct{ name, value string }{
		{"id", c.ID}, {"name", c.Name}, {"alternative_code", c.AlternativeCode},
	} {
		if err := checkText(path+"."+f.name, f.value, maxTextLen); err != nil {
			return err
		}
	}
	if c.TwoCharacterCode != "" && !isLetters(c.TwoCharacterCode, 2) {
		return invalid("%s.two_character_code must be two letters (ISO 3166-1 alpha-2), such as CY.", path)
	}
	if c.ThreeCharacterCode != "" && !isLetters(c.ThreeCharacterCode, 3) {
		return invalid("%s.three_character_code must be three letters (ISO 3166-1 alpha-3), such as CYP.", path)
	}
	return nil
}

func validPhone(s string, minDigits int) bool {
	if len(s) > 32 {
		return false
	}
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" +-().", r):
		default:
			return false
		}
	}
	return digits >= minDigits
}

func isLetters(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') {
			return false
		}
	}
	return true
}

func checkEnum(name, value string, allowed []string) error {
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return invalid("%s must be one of %s; got %q.", name, strings.Join(allowed, ", "), value)
}

// checkText refuses text that is too long or carries control characters.
func checkText(name, value string, maxLen int) error {
	if !utf8.ValidString(value) {
		return invalid("%s is not valid UTF-8.", name)
	}
	if n := utf8.RuneCountInString(value); n > maxLen {
		return invalid("%s is %d characters long; at most %d are allowed.", name, n, maxLen)
	}
	for _, r := range value {
		if !unicode.IsPrint(r) {
			return invalid("%s contains a control or invisible character.", name)
		}
	}
	return nil
}

func missing(name string) error {
	return carebridge.Errorf(carebridge.EMISSING, "%s is mandatory.", name)
}

func invalid(format string, args ...any) error {
	return carebridge.Errorf(carebridge.EINVALID, format, args...)
}

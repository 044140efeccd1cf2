package money_test

import (
	"strings"
	"testing"

	"carebridge/internal/money"
)

func TestParse(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		number, currency string
		minor            int64
	}{
		{"5.99", "USD", 599}, {"5", "USD", 500}, {"5.990", "USD", 599}, {"0", "EUR", 0},
		{"500", "JPY", 500}, {"1.234", "BHD", 1234}, {"1.500", "IQD", 1500}, {"1.50", "COP", 150}, {"1.5", "MRU", 150}, {"1.2345", "CLF", 12345}, {"1.5e1", "USD", 1500}, {"92233720368547758.07", "USD", 9223372036854775807},
	} {
		a, err := money.Parse(c.number, c.currency)
		if err != nil || a.Minor != c.minor || a.Currency != c.currency {
			t.Errorf("Parse(%s, %s) = %+v, %v; want %d", c.number, c.currency, a, err, c.minor)
		}
	}
	for _, c := range [][2]string{
		{"5.989999771118164", "USD"}, // the document's float artefact
		{"5.5", "JPY"}, {"-1", "USD"}, {"abc", "USD"}, {"1/2", "USD"}, {"5.99", "usd"},
		{"5.99", "XYZ"}, {"5.99", "US"}, {"5.99", "XXX"}, {"5.99", "XTS"}, {"5.99", "DEM"}, {"5.99", "HRK"}, {"5.99", "MRO"}, {"92233720368547758.08", "USD"}, {"", "USD"},
		{"1e999999", "USD"}, {"1e-999999", "USD"}, {"1e21", "USD"}, {"1" + strings.Repeat("0", 40), "USD"}, {"1e", "USD"},
	} {
		if a, err := money.Parse(c[0], c[1]); err == nil {
			t.Errorf("Parse(%q, %q) = %+v; want an error", c[0], c[1], a)
		}
	}
}

func TestNumberAndFormat(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		a              money.Amount
		number, format string
	}{
		{money.Amount{Minor: 599, Currency: "USD"}, "5.99", "$5.99"},
		{money.Amount{Minor: 299, Currency: "USD"}, "2.99", "$2.99"},
		{money.Amount{Minor: 5, Currency: "USD"}, "0.05", "$0.05"},
		{money.Amount{Minor: 123450, Currency: "USD"}, "1234.50", "$1,234.50"},
		{money.Amount{Minor: 599, Currency: "EUR"}, "5.99", "€5.99"},
		{money.Amount{Minor: 599, Currency: "GBP"}, "5.99", "£5.99"},
		{money.Amount{Minor: 500, Currency: "JPY"}, "500", "¥500"},
		{money.Amount{Minor: 1230, Currency: "BHD"}, "1.230", "BHD 1.230"},
		{money.Amount{Minor: 599, Currency: "CAD"}, "5.99", "CA$5.99"},
		{money.Amount{Minor: 1500, Currency: "IQD"}, "1.500", "IQD 1.500"},
		{money.Amount{Minor: 150, Currency: "MRU"}, "1.50", "MRU 1.50"},
		// Above 2^53 minor units, where a float64 would round.
		{money.Amount{Minor: 900719925474099312, Currency: "USD"}, "9007199254740993.12", "$9,007,199,254,740,993.12"},
		{money.Amount{Minor: 100, Currency: "USD"}, "1.00", "$1.00"},
		{money.Amount{Minor: 100000, Currency: "JPY"}, "100000", "¥100,000"},
	} {
		if got := c.a.Number(); got != c.number {
			t.Errorf("%+v.Number() = %q, want %q", c.a, got, c.number)
		}
		if got := c.a.Format(); got != c.format {
			t.Errorf("%+v.Format() = %q, want %q", c.a, got, c.format)
		}
	}
	if d, ok := money.Digits("JPY"); !ok || d != 0 {
		t.Errorf("Digits(JPY) = %d, %v", d, ok)
	}
	if _, ok := money.Digits("ABC"); ok {
		t.Error("Digits(ABC) reported a currency")
	}
}

func BenchmarkFormat(b *testing.B) {
	a := money.Amount{Minor: 123456, Currency: "EUR"}
	for b.Loop() {
		_ = a.Format()
	}
}

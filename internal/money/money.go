// Package money holds exact amounts: integer minor units of an ISO-4217
// currency. Amounts are parsed from and written as decimal text, never
// through floating point, so 5.99 stays 5.99.
package money

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Amount is a sum of money in minor units (cents for USD).
type Amount struct {
	Minor    int64
	Currency string // ISO-4217 code, upper case
}

// Digits returns how many decimals a currency has (2 for USD, 0 for JPY,
// 3 for BHD) by ISO-4217, and false for a code that is not an active
// currency.
func Digits(code string) (int, bool) {
	d, ok := minorUnits[code]
	return d, ok
}

// Parse reads a decimal number (as JSON writes it: "5.99", "5", "1.5e1") in
// a currency. More decimals than the currency has, a negative amount, or
// one too large for int64 minor units is an error.
func Parse(number, code string) (Amount, error) {
	digits, ok := Digits(code)
	if !ok {
		return Amount{}, fmt.Errorf("%q is not an ISO-4217 currency code", code)
	}
	// A literal of this length covers any int64 of minor units; bounding it,
	// and the exponent, keeps an absurd input from costing real CPU time.
	if len(number) > 40 {
		return Amount{}, fmt.Errorf("%.20s… is too long for an amount", number)
	}
	if i := strings.IndexAny(number, "eE"); i >= 0 {
		if exp, err := strconv.Atoi(number[i+1:]); err != nil || exp > 20 || exp < -20 {
			return Amount{}, fmt.Errorf("%s is too large or too precise for an amount", number)
		}
	}
	r, ok := new(big.Rat).SetString(number)
	if !ok || strings.ContainsAny(number, "/") {
		return Amount{}, fmt.Errorf("%q is not a number", number)
	}
	if r.Sign() < 0 {
		return Amount{}, fmt.Errorf("%s is negative", number)
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(digits)), nil)))
	if !r.IsInt() {
		return Amount{}, fmt.Errorf("%s has more than the %d decimals %s allows", number, digits, code)
	}
	if !r.Num().IsInt64() {
		return Amount{}, fmt.Errorf("%s is too large", number)
	}
	return Amount{Minor: r.Num().Int64(), Currency: code}, nil
}

// Number writes the amount with exactly the currency's decimals: "5.99",
// "500" for JPY, "1.230" for BHD.
func (a Amount) Number() string {
	digits, _ := Digits(a.Currency)
	s := strconv.FormatInt(a.Minor, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if digits > 0 {
		if len(s) <= digits {
			s = strings.Repeat("0", digits-len(s)+1) + s
		}
		s = s[:len(s)-digits] + "." + s[len(s)-digits:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

var printer = message.NewPrinter(language.English)

// symbols holds the symbol of every currency of the ISO table, worked out
// once: formatting it through x/text was a few percent of a
// subscriptions/show request.
var symbols = sync.OnceValue(func() map[string]string {
	m := make(map[string]string, len(minorUnits))
	for code := range minorUnits {
		m[code] = cldrSymbol(code)
	}
	return m
})

// symbol is the currency's English CLDR symbol ($, €, CA$), or its code
// when CLDR has none.
func symbol(code string) string {
	if s, ok := symbols()[code]; ok {
		return s
	}
	return cldrSymbol(code)
}

func cldrSymbol(code string) string {
	u, err := currency.ParseISO(code)
	if err != nil {
		return code
	}
	// x/text formats "<symbol> <number>"; only the symbol is taken, the
	// number is written exactly below.
	s, _, _ := strings.Cut(printer.Sprint(currency.Symbol(u.Amount(0))), " ")
	return s
}

// Format writes the amount for display in English with the currency's
// symbol: "$5.99", "€5.99", "¥500", "CA$5.99", "BHD 1.230". It works on the
// exact decimal text, never through floating point.
func (a Amount) Format() string {
	number := a.Number()
	sign := ""
	if strings.HasPrefix(number, "-") {
		sign, number = "-", number[1:]
	}
	whole, fraction, hasFraction := strings.Cut(number, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if hasFraction {
		b.WriteString("." + fraction)
	}
	sym := symbol(a.Currency)
	// English writes a sign-like symbol ($, €) against the number and an
	// alphabetic one (BHD) apart from it.
	if last := []rune(sym)[len([]rune(sym))-1]; unicode.IsLetter(last) {
		sym += " "
	}
	return sign + sym + b.String()
}

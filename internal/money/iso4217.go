package money

import "strings"

// The active ISO-4217 currencies and their minor units, pinned here rather
// than read from a library's data: a stored amount's meaning (minor units)
// must never change under an upgrade. Codes not listed have 2 decimals.
// Funds codes without minor units (XAU, XDR, XTS, XXX…) are not currencies
// a charge can be in.
const (
	twoDigitCodes = `AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL
		BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP
		ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD
		KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR
		MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB
		SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD
		TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG`
	zeroDigitCodes  = `BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF`
	threeDigitCodes = `BHD IQD JOD KWD LYD OMR TND`
	fourDigitCodes  = `CLF UYW`
)

var minorUnits = func() map[string]int {
	m := map[string]int{}
	for digits, codes := range map[int]string{2: twoDigitCodes, 0: zeroDigitCodes, 3: threeDigitCodes, 4: fourDigitCodes} {
		for _, c := range strings.Fields(codes) {
			m[c] = digits
		}
	}
	return m
}()

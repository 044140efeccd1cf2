package netflix

// ValidESN tells whether s is an electronic serial number: 1 to 128
// printable ASCII characters without spaces.
func ValidESN(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// SplitESNs checks a register or unregister request's ESNs: it refuses an
// empty or oversized set, and separates the ESNs the store may apply from
// those that fail on their own (invalid, or given more than once: none of
// a duplicate's occurrences is applied). Failures keep request order and
// are listed once each.
func SplitESNs(esns []string) (apply, failed []string, err error) {
	if len(esns) == 0 {
		return nil, nil, missing("devices")
	}
	if len(esns) > MaxDevicesPerCall {
		return nil, nil, invalid("devices has %d items; at most %d are allowed.", len(esns), MaxDevicesPerCall)
	}
	count := make(map[string]int, len(esns))
	for _, e := range esns {
		count[e]++
	}
	reported := make(map[string]bool)
	for _, e := range esns {
		switch {
		case count[e] == 1 && ValidESN(e):
			apply = append(apply, e)
		case !reported[e]:
			reported[e] = true
			failed = append(failed, e)
		}
	}
	return apply, failed, nil
}

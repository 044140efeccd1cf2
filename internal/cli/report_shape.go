package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// checkReportShape refuses a file that is not a JSON object before the
// partner face's decoder sees it: that decoder speaks of an HTTP body,
// which means nothing at the command line.
func checkReportShape(file string, body []byte) error {
	const shape = `a charge report is a JSON object {"charges": [...]}`
	if !json.Valid(body) {
		return fmt.Errorf("%s is not valid JSON; %s", file, shape)
	}
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return fmt.Errorf("%s is not a charge report: %s", file, shape)
	}
	return nil
}

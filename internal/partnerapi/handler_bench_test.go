package partnerapi_test

import (
	"fmt"
	"testing"
)

// BenchmarkIntake1000 posts one signed report of 1000 new charges per
// iteration over real HTTP to a server on a SQLite file.
func BenchmarkIntake1000(b *testing.B) {
	f := setup(b)
	i := 0
	for b.Loop() {
		i++
		rs := results(b, f.report(manyCharges(b, fmt.Sprintf("bench%d", i), 1000)))
		if len(rs) != 1000 || rs[0].Status != "created" || rs[999].Status != "created" {
			b.Fatalf("iteration %d: %d results, first %+v", i, len(rs), rs[0])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*1000), "µs/charge")
}

package logs

import "testing"

// SetSweepTxBytes sets the budget of one sweep transaction for the rest of
// t: call it before starting a service; it is restored after t's cleanups
// registered later (the service's Close among them).
func SetSweepTxBytes(t *testing.T, n int64) {
	old := sweepTxBytes
	sweepTxBytes = n
	t.Cleanup(func() { sweepTxBytes = old })
}

// CapLowWater is the total a cap pass deletes down to.
func CapLowWater(max int64) int64 { return capLowWater(max) }

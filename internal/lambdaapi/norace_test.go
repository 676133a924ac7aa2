//go:build !race

package lambdaapi_test

// raceEnabled: the tests run without -race.
const raceEnabled = false

//go:build race

package lambdaapi_test

// raceEnabled: the tests run with -race.
const raceEnabled = true

//go:build race

package reliability

// raceEnabled: the tests run with -race, and so does the server they build.
const raceEnabled = true

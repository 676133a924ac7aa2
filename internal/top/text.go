package top

import (
	"strings"
	"unicode"
)

// printable replaces control characters (escape sequences included) in
// text from the server with U+FFFD, so that nothing it sends can drive the
// terminal top draws on.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return unicode.ReplacementChar
		}
		return r
	}, s)
}

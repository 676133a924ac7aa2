package lambdaapi

import "testing"

// TestFunctionURLHost: a function URL takes the scheme, host name and port
// of the address clients reach the server at (--public-url, else the
// listener), with localhost for an IP address; the Host router finds the
// ID in what it builds, in any case, and nothing else.
func TestFunctionURLHost(t *testing.T) {
	const id = "abcdefghijklmnopqrstuvwxyz012345"
	for base, want := range map[string]string{
		"http://127.0.0.1:9001":             "http://" + id + ".lambda-url.eu-west-1.localhost:9001/",
		"http://[::1]:9001/prefix":          "http://" + id + ".lambda-url.eu-west-1.localhost:9001/",
		"https://reservoir.example":         "https://" + id + ".lambda-url.eu-west-1.reservoir.example/",
		"http://reservoir.example:8080/p/q": "http://" + id + ".lambda-url.eu-west-1.reservoir.example:8080/",
		"http://10.1.2.3:9001":              "http://" + id + ".lambda-url.eu-west-1.localhost:9001/",
	} {
		if got := newURLHost(base).url(id, "eu-west-1"); got != want {
			t.Errorf("base %s: %s, want %s", base, got, want)
		}
	}
	for host, want := range map[string]string{
		id + ".lambda-url.us-east-1.localhost:9001":       id,
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345.LAMBDA-URL.x.y": id,
		id + ".lambda-url.us-east-1.on.aws":               id,
		"127.0.0.1:9001":                                  "",
		"localhost":                                       "",
		id + "x.lambda-url.us-east-1.localhost":           "",
		id + ".lambda.us-east-1.localhost":                "",
	} {
		got, ok := isURLHost(host)
		if got != want || ok != (want != "") {
			t.Errorf("isURLHost(%q) = %q %v, want %q", host, got, ok, want)
		}
	}
}

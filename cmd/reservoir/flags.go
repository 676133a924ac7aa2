package main

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/reservoir-dev/reservoir/internal/app"
	"github.com/reservoir-dev/reservoir/internal/sandbox"
)

// serveFlag is one flag of `reservoir serve`. The table below is the one
// source of the flags: parsing, `--help` and README's "Server flags" table
// (which a test keeps equal to flagsMarkdown) are made from it.
type serveFlag struct {
	name string // without dashes
	arg  string // what the value is, in the help ("" for a bool flag)
	def  string // the default value ("" when none, or computed: see defDoc)
	// defDoc describes a default that is not a fixed value (markdown).
	defDoc string
	doc    string // what it does (markdown; `code` and [links](#anchor) only)
}

// isBool reports whether the flag takes no value (--strict-roles).
func (f serveFlag) isBool() bool { return f.arg == "" }

// env is the variable the flag is also read from.
func (f serveFlag) env() string {
	return "RESERVOIR_" + strings.ToUpper(strings.ReplaceAll(f.name, "-", "_"))
}

// defaultDoc is the default as the help and README show it (markdown).
func (f serveFlag) defaultDoc() string {
	switch {
	case f.defDoc != "":
		return f.defDoc
	case f.def != "":
		return "`" + f.def + "`"
	}
	return ""
}

var serveFlags = []serveFlag{
	{name: "listen", arg: "ADDR", def: "127.0.0.1:9001",
		doc: "address; port 0 picks a free one"},
	{name: "public-url", arg: "URL", defDoc: "the listen address (`0.0.0.0`/`[::]` as `127.0.0.1`)",
		doc: "`http(s)://host[:port][/prefix]` clients reach the server at (a proxy, a container's published port): " +
			"where GetFunction's `Code.Location` points (a `/prefix` is for a proxy that strips it); never taken from a request's `Host`"},
	{name: "data-dir", arg: "DIR", defDoc: "`$XDG_DATA_HOME/reservoir` or `~/.local/share/reservoir`",
		doc: "where the bbolt store lives"},
	{name: "account-concurrency", arg: "N", def: "1000",
		doc: "every account's regional limit"},
	{name: "executor", arg: "MODE", def: app.ExecutorProcess,
		doc: "`process`: function code runs as local processes; `simulate`: provisioned environments are virtual " +
			"(READY after a few ms) and Invoke is refused — for control-plane-only work"},
	{name: "auth", arg: "MODE", def: app.AuthNone,
		doc: "`none`: any credentials; `sigv4`: signatures are verified (with the AWS SDK's signer) against `--credentials`, " +
			"failures answered as AWS does (`UnrecognizedClientException`, `InvalidSignatureException`, " +
			"`MissingAuthenticationTokenException`; `InvalidClientTokenId`, `SignatureDoesNotMatch` for IAM/STS); " +
			"a hex `X-Amz-Content-Sha256` must match the body (`UNSIGNED-PAYLOAD` is accepted, as on AWS)"},
	{name: "credentials", arg: "AKID:SECRET,...",
		doc: "`AKID:SECRET[,AKID:SECRET...]` for `--auth sigv4`"},
	{name: "isolation", arg: "MODE", def: string(sandbox.IsolationAuto),
		doc: "`auto`: isolate functions where the system allows (root on Linux), else warn; `on`: isolate " +
			"(as root, or else rootless with user namespaces) or refuse to start; `off`: never (see [Isolation](#isolation))"},
	{name: "share-dir", arg: "DIR,...",
		doc: "host directories, comma-separated, that isolated functions see at their own paths"},
	{name: "strict-roles", def: "false",
		doc: "refuse, as AWS does (`InvalidParameterValueException`: \"The role defined for the function cannot be assumed by Lambda.\"), " +
			"a function whose execution role is missing from Reservoir's IAM or does not let `lambda.amazonaws.com` call " +
			"`sts:AssumeRole` (CreateFunction, and UpdateFunctionConfiguration when the role changes); by default such a role " +
			"is accepted with a warning in the log. A role of another account is always refused (403 `AccessDeniedException`)"},
	{name: "log-level", arg: "LEVEL", def: "info",
		doc: "`debug`, `info`, `warn` or `error`; `debug` logs every request and every line functions print"},
}

// flagsMarkdown is README's "Server flags" table.
func flagsMarkdown() string {
	var b strings.Builder
	b.WriteString("| flag | env | default | |\n|---|---|---|---|\n")
	for _, f := range serveFlags {
		fmt.Fprintf(&b, "| `--%s` | `%s` | %s | %s |\n", f.name, f.env(), f.defaultDoc(), f.doc)
	}
	return b.String()
}

// usage is what `reservoir --help` and `reservoir serve --help` print.
const usageHead = `usage: reservoir serve [flags]   run the service
       reservoir version         print the version and the commit it was built from
       reservoir top [flags]     watch a server's concurrency (reservoir top --help)

Reservoir is a local AWS Lambda service whose concurrency behaves like AWS's.
Point any AWS client at it (the endpoint, any credentials). Ctrl-C stops it,
waiting up to 10 s for running invocations; a second Ctrl-C stops it at once.

Flags of serve, each also read from its environment variable (a flag wins):
`

// writeUsage prints the usage and every flag with its variable and default.
func writeUsage(w io.Writer) {
	io.WriteString(w, usageHead)
	for _, f := range serveFlags {
		head := "  --" + f.name
		if !f.isBool() {
			head += " " + f.arg
		}
		fmt.Fprintf(w, "\n%s\n      %s", head, f.env())
		if d := f.defaultDoc(); d != "" {
			fmt.Fprintf(w, ", default %s", plain(d))
		}
		fmt.Fprintf(w, "\n%s", wrap(plain(f.doc), "      ", 80))
	}
	io.WriteString(w, "\nMore: README.md (https://github.com/reservoir-dev/reservoir).\n")
}

var mdLink = regexp.MustCompile(`\[([^\]]+)\]\(#[^)]*\)`)

// plain renders the markdown of the table for a terminal: no backquotes,
// links as their text.
func plain(md string) string {
	return strings.ReplaceAll(mdLink.ReplaceAllString(md, "$1 in the README"), "`", "")
}

// wrap breaks s into lines of at most width columns, each starting with indent.
func wrap(s, indent string, width int) string {
	var b strings.Builder
	line := indent
	for _, word := range strings.Fields(s) {
		if len(line) > len(indent) && len(line)+1+len(word) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += word
	}
	return b.String() + line + "\n"
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/charmbracelet/x/term"

	"github.com/reservoir-dev/reservoir/internal/top"
)

// topFlag is one flag of `reservoir top`. The table below makes the
// parsing, `reservoir top --help` and the flags table of README's
// "reservoir top" section (which a test keeps equal to topFlagsMarkdown).
type topFlag struct {
	name, arg, def, doc string // arg "" for a bool flag
}

var topFlags = []topFlag{
	{"endpoint", "URL", "http://127.0.0.1:9001", "the Reservoir server to watch"},
	{"account", "ACCOUNT", "", "12-digit account to show (default: the access key's when it is 12 digits, else the server's first account with functions)"},
	{"region", "REGION", "", "region to show and to sign for (default: `AWS_REGION`, `AWS_DEFAULT_REGION` or the profile's, else the server's first region of the account, signed for `us-east-1`)"},
	{"once", "", "false", "print one frame and exit (plain text when stdout is not a terminal)"},
	{"sort", "KEY", "inflight", "order: `" + strings.Join(top.SortKeyNames(), "`, `") + "` (the `s` key cycles them)"},
	{"interval", "DURATION", "1s", "time between refreshes"},
	{"profile", "NAME", "", "sign requests with this profile's credentials (`~/.aws/credentials`, `~/.aws/config`)"},
}

const topUsageHead = `usage: reservoir top [flags]   watch a Reservoir's concurrency in the terminal

Keys: up/down select a function, enter shows its details (esc back), s cycles
the sort (or i in flight, n name, t throttles, v invocations, e errors),
m switches the sparkline between in flight and invocations, a cycles the
accounts and regions, q quits. With AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
or --profile, every request is signed (SigV4), as a server under --auth sigv4
requires.

Flags:
`

// topFlagsMarkdown is the flags table of README's "reservoir top" section.
func topFlagsMarkdown() string {
	var b strings.Builder
	b.WriteString("| flag | default | |\n|---|---|---|\n")
	for _, f := range topFlags {
		def := ""
		if f.def != "" {
			def = "`" + f.def + "`"
		}
		fmt.Fprintf(&b, "| `--%s` | %s | %s |\n", f.name, def, f.doc)
	}
	return b.String()
}

func writeTopUsage(w io.Writer) {
	io.WriteString(w, topUsageHead)
	for _, f := range topFlags {
		head := "  --" + f.name
		if f.arg != "" {
			head += " " + f.arg
		}
		if f.def != "" && f.arg != "" {
			head += " (default " + f.def + ")"
		}
		fmt.Fprintf(w, "%s\n%s", head, wrap(plain(f.doc), "      ", 80))
	}
}

// topOptions is `reservoir top`'s command line, checked.
type topOptions struct {
	endpoint        top.Endpoint
	account, region string
	once            bool
	sort            top.SortKey
	interval        time.Duration
	profile         string
}

var accountRE = regexp.MustCompile(`^\d{12}$`)

// topRequestTimeout bounds each request of top, connecting included (a
// variable only so that a test can shorten it).
var topRequestTimeout = 15 * time.Second

func parseTopFlags(args []string) (topOptions, error) {
	fs := flag.NewFlagSet("reservoir top", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	strs := map[string]*string{}
	var once *bool
	for _, f := range topFlags {
		if f.arg == "" {
			once = fs.Bool(f.name, false, f.doc)
			continue
		}
		strs[f.name] = fs.String(f.name, f.def, f.doc)
	}
	if err := fs.Parse(args); err != nil {
		return topOptions{}, err
	}
	if fs.NArg() > 0 {
		return topOptions{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var o topOptions
	var err error
	if o.endpoint, err = top.ParseEndpoint(*strs["endpoint"]); err != nil {
		return topOptions{}, fmt.Errorf("--endpoint: %w", err)
	}
	if o.sort, err = top.ParseSortKey(*strs["sort"]); err != nil {
		return topOptions{}, fmt.Errorf("--sort: %w", err)
	}
	if o.interval, err = time.ParseDuration(*strs["interval"]); err != nil || o.interval < 100*time.Millisecond {
		return topOptions{}, fmt.Errorf("--interval must be a duration of at least 100ms, got %q", *strs["interval"])
	}
	o.account, o.region, o.profile, o.once = *strs["account"], *strs["region"], *strs["profile"], *once
	if o.account != "" && !accountRE.MatchString(o.account) {
		return topOptions{}, fmt.Errorf("--account must be 12 digits, got %q", o.account)
	}
	return o, nil
}

// runTop is `reservoir top`: it returns the exit status.
func runTop(args []string, getenv func(string) string, stdout, stderr io.Writer, signals <-chan os.Signal) int {
	o, err := parseTopFlags(args)
	if errors.Is(err, flag.ErrHelp) {
		writeTopUsage(stdout)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "reservoir top: %v\nRun 'reservoir top --help' for its flags.\n", err)
		return 2
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-signals:
			cancel()
		case <-ctx.Done():
		}
	}()
	client, account, region, err := topClient(ctx, o, getenv)
	if err != nil {
		fmt.Fprintf(stderr, "reservoir top: %v\n", err)
		return 1
	}
	if o.once {
		if err := top.Once(ctx, client, account, region, o.sort, stdout, os.Environ()); err != nil {
			fmt.Fprintf(stderr, "reservoir top: %v\n%s", err, credentialsHint(err, client))
			return 1
		}
		return 0
	}
	out, ok := stdout.(*os.File)
	if !ok || !term.IsTerminal(out.Fd()) || !term.IsTerminal(os.Stdin.Fd()) {
		fmt.Fprintln(stderr, "reservoir top: not a terminal; use --once to print one frame")
		return 2
	}
	// A first fetch, so that an unreachable endpoint is an error, not a screen.
	if _, err := client.Snapshot(ctx, account, region); err != nil {
		fmt.Fprintf(stderr, "reservoir top: %v\n%s", err, credentialsHint(err, client))
		return 1
	}
	if err := top.Interactive(ctx, client, account, region, o.sort, o.interval, os.Stdin, out, os.Environ()); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "reservoir top: %v\n", err)
		return 1
	}
	return 0
}

// credentialsHint says how to sign when an unsigned request was refused
// for want of a signature.
func credentialsHint(err error, c *top.Client) string {
	var api *top.APIError
	if c.Credentials == nil && errors.As(err, &api) && api.Status == http.StatusUnauthorized {
		return "The server checks signatures (--auth sigv4): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (a key of its --credentials), or use --profile.\n"
	}
	return ""
}

// topClient makes the client and picks the account and region to show.
// Credentials are loaded (by the AWS SDK's config loader, as the AWS CLI
// finds them) only when asked for: --profile, AWS_PROFILE or
// AWS_ACCESS_KEY_ID; otherwise requests go unsigned.
func topClient(ctx context.Context, o topOptions, getenv func(string) string) (*top.Client, string, string, error) {
	// A server that accepts and never answers is an error too, not a wait.
	c := &top.Client{Endpoint: o.endpoint, HTTP: &http.Client{Timeout: topRequestTimeout}}
	account, region := o.account, o.region
	if region == "" {
		region = getenv("AWS_REGION")
	}
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	if o.profile != "" || getenv("AWS_PROFILE") != "" || getenv("AWS_ACCESS_KEY_ID") != "" {
		var opts []func(*config.LoadOptions) error
		if o.profile != "" {
			opts = append(opts, config.WithSharedConfigProfile(o.profile))
		}
		cfg, err := config.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			return nil, "", "", fmt.Errorf("credentials: %w", err)
		}
		creds, err := cfg.Credentials.Retrieve(ctx)
		if err != nil {
			return nil, "", "", fmt.Errorf("credentials: %w", err)
		}
		if region == "" {
			region = cfg.Region
		}
		if account == "" && accountRE.MatchString(creds.AccessKeyID) {
			account = creds.AccessKeyID
		}
		c.Credentials = aws.NewCredentialsCache(cfg.Credentials)
	}
	c.SigningRegion = region
	if c.SigningRegion == "" {
		c.SigningRegion = "us-east-1"
	}
	return c, account, region, nil
}

package app

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestBaseURL: Code.Location points at the public URL when there is one,
// else at the listen address, a wildcard one as 127.0.0.1.
func TestBaseURL(t *testing.T) {
	tcp := func(ip string, zone string) net.Addr {
		return &net.TCPAddr{IP: net.ParseIP(ip), Port: 9001, Zone: zone}
	}
	for _, tc := range []struct {
		public string
		addr   net.Addr
		want   string
	}{
		{"", tcp("127.0.0.1", ""), "http://127.0.0.1:9001"},
		{"", tcp("0.0.0.0", ""), "http://127.0.0.1:9001"},
		{"", tcp("::", ""), "http://127.0.0.1:9001"},
		{"", tcp("::1", ""), "http://[::1]:9001"},
		{"", tcp("10.1.2.3", ""), "http://10.1.2.3:9001"},
		{"", tcp("fe80::1", "eth0"), "http://[fe80::1%25eth0]:9001"},
		{"https://lambda.test/prefix/", tcp("0.0.0.0", ""), "https://lambda.test/prefix"},
	} {
		if got := baseURL(tc.public, tc.addr); got != tc.want {
			t.Errorf("baseURL(%q, %v) = %q, want %q", tc.public, tc.addr, got, tc.want)
		}
	}
	for _, bad := range []string{"lambda.test", "ftp://lambda.test", "http://", "http://u:p@lambda.test", "http://lambda.test/?a", "http://lambda.test/#f"} {
		if CheckPublicURL(bad) == nil {
			t.Errorf("CheckPublicURL(%q) accepted it", bad)
		}
	}
}

// TestCodeLocationOnWildcardListen: a server listening on 0.0.0.0 hands out
// Code.Location URLs at 127.0.0.1 that serve the package.
func TestCodeLocationOnWildcardListen(t *testing.T) {
	ctx := context.Background()
	a, err := New(ctx, Config{Listen: "0.0.0.0:0", DataDir: t.TempDir(), Executor: ExecutorSimulate})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve() }()
	t.Cleanup(func() {
		_ = a.Close(ctx)
		<-done
	})
	port := a.listener.Addr().(*net.TCPAddr).Port
	endpoint := "http://127.0.0.1:" + strconv.Itoa(port)
	c := lambda.NewFromConfig(aws.Config{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("123456789012", "x", ""),
		BaseEndpoint: aws.String(endpoint), HTTPClient: &http.Client{Timeout: 30 * time.Second}, RetryMaxAttempts: 1,
	})
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("handler.py")
	_, _ = w.Write([]byte("# wildcard\n"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("w"), Runtime: types.RuntimePython312, Handler: aws.String("handler.handler"),
		Role: aws.String("arn:aws:iam::123456789012:role/r"), Code: &types.FunctionCode{ZipFile: buf.Bytes()},
	}); err != nil {
		t.Fatal(err)
	}
	fn, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("w")})
	if err != nil {
		t.Fatal(err)
	}
	loc := aws.ToString(fn.Code.Location)
	if !strings.HasPrefix(loc, endpoint+"/") {
		t.Fatalf("Code.Location %s, want it under %s", loc, endpoint)
	}
	resp, err := http.Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(body, buf.Bytes()) {
		t.Fatalf("GET %s: %d, %d bytes", loc, resp.StatusCode, len(body))
	}
}

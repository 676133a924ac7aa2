package app

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
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

// TestCloseCutsStuckRequests: a request whose client went quiet holds its
// connection past the shutdown's deadline; Close closes it and reports no
// error (a stop that cuts a request short is a clean one), within the
// deadline and the handlers' grace. Canceling ctx cuts at once.
func TestCloseCutsStuckRequests(t *testing.T) {
	for _, cancelNow := range []bool{false, true} {
		a, err := New(context.Background(), Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), Executor: ExecutorSimulate})
		if err != nil {
			t.Fatal(err)
		}
		served := make(chan error, 1)
		go func() { served <- a.Serve() }()
		stuck, err := net.Dial("tcp", a.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer stuck.Close()
		if _, err := stuck.Write([]byte("PUT /2017-10-31/functions/f/concurrency HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")); err != nil {
			t.Fatal(err)
		}
		// Its handler starts once the headers are in, and waits for the body.
		deadline := time.Now().Add(10 * time.Second)
		for a.handling.Load() == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the stuck request's handler never started")
			}
			time.Sleep(time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if cancelNow {
			cancel()
		}
		start := time.Now()
		err = a.Close(ctx)
		took := time.Since(start)
		cancel()
		if err != nil {
			t.Errorf("cancel=%v: Close: %v", cancelNow, err)
		}
		if took > time.Second+handlerGrace {
			t.Errorf("cancel=%v: Close took %v", cancelNow, took)
		}
		if cancelNow && took > handlerGrace {
			t.Errorf("Close with a canceled context took %v", took)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if n := a.handling.Load(); n != 0 {
			t.Errorf("%d handlers still running after Close", n)
		}
		// The stuck client sees its connection closed.
		_ = stuck.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := stuck.Read(make([]byte, 1)); n > 0 || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("the stuck connection was not closed: %d bytes, %v", n, err)
		}
	}
}

package process

import (
	"context"
	"testing"
)

// BenchmarkDrainEmpty is what Drain costs a caller when the readers have
// kept up (the pipes are empty): what every warm invocation pays to put its
// function's lines before END and REPORT.
func BenchmarkDrainEmpty(b *testing.B) {
	p, err := Start(Config{Path: "/bin/sleep", Args: []string{"100"}, Env: []string{}, Dir: b.TempDir(),
		Stdout: func([]string) {}, Stderr: func([]string) {}, Records: func(Record) {}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.Kill)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Drain(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

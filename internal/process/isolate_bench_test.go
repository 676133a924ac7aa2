package process

import (
	"context"
	"testing"
)

// BenchmarkTrueStart is the cost of isolation at process start: /bin/true
// started plainly, in an isolated view as a user of its own, and in a
// rootless view (which re-executes this test binary first).
func BenchmarkTrueStart(b *testing.B) {
	for _, name := range []string{"plain", "isolated", "rootless"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				cfg := Config{Path: "/bin/true", Dir: "/"}
				switch name {
				case "isolated":
					cfg.Isolation = &Isolation{UID: 955555, GID: 955555, Tmpfs: []Tmpfs{{Target: "/var", Mode: 0o755, SizeMB: 1}}}
				case "rootless":
					cfg.Isolation = &Isolation{Rootless: true, Tmpfs: []Tmpfs{{Target: "/var", Mode: 0o755, SizeMB: 1}}}
				}
				p, err := Start(cfg)
				if err != nil {
					b.Fatal(err)
				}
				_ = p.Wait(context.Background())
			}
		})
	}
}

// BenchmarkLease is the cost of a uid for an isolated environment: lease,
// then release (which kills what runs as the uid).
func BenchmarkLease(b *testing.B) {
	for b.Loop() {
		l, err := LeaseUser()
		if err != nil {
			b.Fatal(err)
		}
		_ = l.Release()
	}
}

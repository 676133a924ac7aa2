package testutil

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// KillMidWrite runs the test named test of this test binary again as a
// child, with env set to path: the child (see CrashChild) writes numbered
// items through a service on the bbolt file at path and prints
// "<word> <n>" once item n is handed over. After items have been reported
// for 1.5 s the child is SIGKILLed; the file must then pass bbolt's check.
// KillMidWrite returns how many items were reported, and how many were
// reported more than a second before the kill: what a service that loses
// at most its last second must have stored.
func KillMidWrite(t *testing.T, test, env, path, word string) (reported, mustHave int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	type ack struct {
		n  int
		at time.Time
	}
	acks := make(chan ack)
	go func() {
		defer close(acks)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if n, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), word+" ")); err == nil {
				acks <- ack{n, time.Now()}
			}
		}
	}()
	var got []ack
	var killedAt time.Time
	timeout := time.After(60 * time.Second)
	for reading := true; reading; {
		select {
		case a, ok := <-acks:
			if !ok {
				reading = false
				break
			}
			got = append(got, a)
			// Kill once items have been flowing for over a second.
			if killedAt.IsZero() && time.Since(got[0].at) > 1500*time.Millisecond {
				if err := cmd.Process.Kill(); err != nil {
					t.Fatal(err)
				}
				killedAt = time.Now()
			}
		case <-timeout:
			_ = cmd.Process.Kill()
			t.Fatalf("no kill after 60s (%d items); stderr:\n%s", len(got), stderr.String())
		}
	}
	_ = cmd.Wait()
	if killedAt.IsZero() {
		t.Fatalf("the child ended on its own after %d items; stderr:\n%s", len(got), stderr.String())
	}
	CheckBolt(t, path)
	for _, a := range got {
		if a.at.Before(killedAt.Add(-time.Second)) {
			mustHave = a.n + 1
		}
	}
	return len(got), mustHave
}

// CheckBolt fails the test unless the bbolt file at path passes bbolt's
// consistency check.
func CheckBolt(t *testing.T, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatalf("bbolt check after kill -9: %v", err)
	}
}

// CrashChild is the child's side of KillMidWrite: it hands item i over with
// write(i) about every millisecond, printing "<word> i" after each, and
// exits after 30 s should the parent fail to kill it.
func CrashChild(word string, write func(i int)) {
	w := bufio.NewWriter(os.Stdout)
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		write(i)
		fmt.Fprintf(w, "%s %d\n", word, i)
		w.Flush()
		time.Sleep(time.Millisecond)
	}
	os.Exit(4)
}

// Package runtimes holds Reservoir's own runtime clients for the managed
// interpreted runtimes. Each is one small file, embedded in the binary, that
// speaks the Lambda Runtime API from inside the interpreter: it loads the
// handler named by _HANDLER from LAMBDA_TASK_ROOT, reports import failures to
// init/error, and then loops on invocation/next, calling the handler and
// posting its result or error.
package runtimes

import "embed"

//go:embed python/bootstrap.py node/bootstrap.js
var files embed.FS

// Python returns the Python runtime client (run as `python3 -u bootstrap.py`).
func Python() []byte { return mustRead("python/bootstrap.py") }

// Node returns the Node.js runtime client (run as `node bootstrap.js`).
func Node() []byte { return mustRead("node/bootstrap.js") }

func mustRead(name string) []byte {
	b, err := files.ReadFile(name)
	if err != nil {
		panic("runtimes: embedded file missing: " + name) // a build error, not a runtime one
	}
	return b
}

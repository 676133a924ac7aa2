package lambda

import (
	"archive/zip"
	"fmt"
	"strings"
)

// RuntimeChecker tells whether this machine can run a runtime's functions.
// The app wires the executor to it; the domain never imports the sandbox.
type RuntimeChecker interface {
	CheckRuntime(runtime string) RuntimeCheck
}

// RuntimeCheck is what the machine offers a runtime, for the log.
type RuntimeCheck struct {
	// Missing says why functions of the runtime cannot run here ("": they can).
	Missing string
	// Substitute names the interpreter that runs them when its version is
	// not the one the runtime names ("": it is, or the runtime needs none).
	Substitute string
}

// warnRuntime logs, for a function just given runtime, what keeps it from
// running here as on Lambda. As AWS does, the function was accepted.
func (s *Service) warnRuntime(function, runtime string) {
	if s.runtimes == nil {
		return
	}
	c := s.runtimes.CheckRuntime(runtime)
	if c.Missing != "" {
		s.log.Warn("runtime accepted, as AWS accepts it, but Reservoir cannot run it on this machine: invocations will fail",
			"function", function, "runtime", runtime, "missing", c.Missing)
	}
	if c.Substitute != "" {
		s.log.Warn("runtime served by an interpreter of another version than it names",
			"function", function, "runtime", runtime, "interpreter", c.Substitute)
	}
}

// maxNamedFiles bounds the files a warning names.
const maxNamedFiles = 20

// unreadableFiles lists the regular files of a package that others may not
// read, with their modes: Lambda runs a function as a user that does not own
// its files, so on AWS such a file cannot be loaded ("Permission denied").
// Entries made on systems without Unix modes (FAT) count as readable, as
// they are once unpacked.
func unreadableFiles(zr *zip.Reader) []string {
	var out []string
	for _, f := range zr.File {
		mode := f.Mode()
		if !mode.IsRegular() || mode.Perm()&0o004 != 0 {
			continue
		}
		if len(out) == maxNamedFiles {
			out = append(out, "...")
			break
		}
		out = append(out, fmt.Sprintf("%s (%04o)", f.Name, mode.Perm()))
	}
	return out
}

// warnUnreadable logs the files of a function's new package that Lambda
// could not read. As AWS does, the package was accepted.
func (s *Service) warnUnreadable(function string, files []string) {
	if len(files) == 0 {
		return
	}
	s.log.Warn("deployment package accepted, as AWS accepts it, but Lambda cannot read some of its files",
		"function", function, "files", strings.Join(files, ", "),
		"why", "Lambda runs a function as a user that does not own its files: each needs read permission for others "+
			"(chmod 644, 755 for programs, before zipping); on AWS, loading one fails with Permission denied")
}

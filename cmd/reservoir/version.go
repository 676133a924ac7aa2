package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// writeVersion prints the module version and the commit the binary was
// built from, as `go version -m` shows them in its build information.
func writeVersion(w io.Writer) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		fmt.Fprintf(w, "reservoir (no build information)\n%s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return
	}
	io.WriteString(w, versionText(bi))
}

// versionText is what `reservoir version` prints for bi.
func versionText(bi *debug.BuildInfo) string {
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	out := fmt.Sprintf("reservoir %s\nmodule    %s\n", bi.Main.Version, bi.Main.Path)
	if rev := settings["vcs.revision"]; rev != "" {
		out += "commit    " + rev
		if t := settings["vcs.time"]; t != "" {
			out += " (" + t + ")"
		}
		if settings["vcs.modified"] == "true" {
			out += ", with uncommitted changes"
		}
		out += "\n"
	} else {
		// go build -buildvcs=false, outside a git checkout (or in a git
		// worktree, which Go does not detect), or go install ...@version,
		// whose version above names the code.
		out += "commit    not recorded in this build\n"
	}
	goos, goarch := settings["GOOS"], settings["GOARCH"]
	if goos == "" {
		goos, goarch = runtime.GOOS, runtime.GOARCH
	}
	return out + fmt.Sprintf("go        %s %s/%s\n", bi.GoVersion, goos, goarch)
}

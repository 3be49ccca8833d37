package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version runs "chatd version".
func (c *cli) version(args []string) int {
	if len(args) > 0 {
		return c.usageError(fmt.Errorf("version takes no arguments, got %q", args[0]))
	}
	fmt.Fprintf(c.stdout, "chatd %s (%s)\n", buildVersion(), runtime.Version())
	return exitOK
}

// buildVersion describes the build from the information the Go toolchain embeds: the
// module version, else the VCS revision, with "+dirty" for uncommitted changes.
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev == "" {
		return "devel"
	}
	return "devel-" + rev[:min(12, len(rev))] + dirty
}

//go:build linux

package store

import (
	"os"
	"syscall"
)

// datasync flushes f's data, and only the metadata needed to read it back, to stable
// storage: enough for the WAL, and cheaper than fsync once the WAL file is reused at
// its full size (SQLite uses fdatasync the same way).
func datasync(f *os.File) error {
	return syscall.Fdatasync(int(f.Fd()))
}

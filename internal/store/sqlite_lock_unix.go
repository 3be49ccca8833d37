//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockFile holds an exclusive advisory lock beside the database, so a second chatd
// process on the same file fails at Open instead of racing this one's writer: the
// writer assigns seqs from its own cache and must be the only one.
type lockFile struct {
	f *os.File
}

func lockDatabase(path string) (*lockFile, error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("lock database %s: in use by another process", path)
		}
		return nil, fmt.Errorf("lock database: %w", err)
	}
	return &lockFile{f: f}, nil
}

// unlock releases the lock; closing the descriptor drops the flock.
func (l *lockFile) unlock() error {
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("close lock file: %w", err)
	}
	return nil
}

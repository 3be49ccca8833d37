//go:build !unix

package store

// lockFile is a no-op where flock is unavailable: there, running two chatd processes
// on one database file is not detected (their writes fail on seq conflicts instead).
type lockFile struct{}

func lockDatabase(string) (*lockFile, error) { return &lockFile{}, nil }

func (*lockFile) unlock() error { return nil }

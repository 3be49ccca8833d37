package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// parse parses args and vars into a validated Config.
func parse(t *testing.T, vars map[string]string, args ...string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("chatd", flag.ContinueOnError)
	fs.SetOutput(nopWriter{})
	var cfg Config
	bindConfig(fs, &cfg)
	if err := parseFlags(fs, args, env(vars)); err != nil {
		return cfg, err
	}
	return cfg, cfg.validate()
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }

func TestSettingGroupsCoverEveryFlag(t *testing.T) {
	fs := flag.NewFlagSet("chatd", flag.ContinueOnError)
	bindConfig(fs, &Config{})
	grouped := map[string]int{}
	for _, g := range settingGroups() {
		for _, name := range g.flags {
			grouped[name]++
			if fs.Lookup(name) == nil {
				t.Errorf("group %q lists %q, which is not a flag", g.title, name)
			}
		}
	}
	fs.VisitAll(func(f *flag.Flag) {
		if grouped[f.Name] != 1 {
			t.Errorf("flag %q is in %d help groups, want 1", f.Name, grouped[f.Name])
		}
	})
}

func TestHelpListsEverySetting(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"serve", "--help"}, {"-h"}, {"help"}} {
		r := invoke(t, nil, args...)
		if r.code != exitOK || r.stderr != "" {
			t.Fatalf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
		fs := flag.NewFlagSet("chatd", flag.ContinueOnError)
		bindConfig(fs, &Config{})
		fs.VisitAll(func(f *flag.Flag) {
			if !strings.Contains(r.stdout, "--"+f.Name+" ") || !strings.Contains(r.stdout, envName(f.Name)) {
				t.Errorf("%v: help lacks --%s or %s", args, f.Name, envName(f.Name))
			}
		})
	}
	r := invoke(t, nil, "--help")
	for _, want := range []string{
		`CHATD_ADDR, default ":8080"`, `CHATD_DB, default "./data/chatd.db"`,
		"CHATD_PRESENCE_GRACE, default 5s", "CHATD_RATE_BURST, default 20",
		"CHATD_RECOVERY, default 0s", "CHATD_PPROF, default false", "CHATD_WEB, default true", "chatd token",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func TestDefaults(t *testing.T) {
	cfg, err := parse(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Addr: ":8080", Path: "/socket.io/", Web: true, LogLevel: "info", LogFmt: "text",
		DB: "./data/chatd.db", DataDir: "data", Broker: "memory", ClusterName: "chatd", NodeTTL: 15 * time.Second,
		PresenceGrace: 5 * time.Second, TypingTimeout: 6 * time.Second,
		RateMessages: 10, RateBurst: 20, RateTyping: 5, RateJoins: 20, RateConnections: 20,
		MaxRooms: 100, MaxMessageBytes: 16384,
		PingInterval: 25 * time.Second, PingTimeout: 20 * time.Second,
		MaxPayload: 1_000_000, SendQueue: 1024, ShutdownTimeout: 10 * time.Second,
	}
	if cfg != want {
		t.Fatalf("defaults:\n got %+v\nwant %+v", cfg, want)
	}
}

func TestEnvironmentAndFlags(t *testing.T) {
	vars := map[string]string{
		"CHATD_ADDR":           "127.0.0.1:9000",
		"CHATD_PRESENCE_GRACE": "300ms",
		"CHATD_RATE_MESSAGES":  "2.5",
		"CHATD_RATE_BURST":     "3",
		"CHATD_PPROF":          "true",
		"CHATD_PATH":           "/io",
		"CHATD_DB":             ":memory:",
		"CHATD_RECOVERY":       "2m",
	}
	cfg, err := parse(t, vars, "--addr", ":7000", "--rate-burst=9")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":7000" || cfg.RateBurst != 9 {
		t.Errorf("flags must win over the environment: addr %q burst %d", cfg.Addr, cfg.RateBurst)
	}
	if cfg.PresenceGrace != 300*time.Millisecond || cfg.RateMessages != 2.5 || !cfg.PProf || cfg.Recovery != 2*time.Minute {
		t.Errorf("environment not applied: %+v", cfg)
	}
	if cfg.Path != "/io/" {
		t.Errorf("path %q, want it normalized to /io/", cfg.Path)
	}
	if cfg.DataDir != "data" {
		t.Errorf("data dir of an in-memory store: %q, want data", cfg.DataDir)
	}
}

func TestRedisBrokerAccepted(t *testing.T) {
	for _, url := range []string{"redis://127.0.0.1:6379/0", "rediss://:secret@redis.internal:6380/2", "REDIS://h"} {
		cfg, err := parse(t, map[string]string{"CHATD_BROKER": url})
		if err != nil || cfg.Broker != url {
			t.Errorf("broker %q: %q %v", url, cfg.Broker, err)
		}
	}
}

func TestDataDirFollowsDB(t *testing.T) {
	cfg, err := parse(t, map[string]string{"CHATD_DB": "/var/lib/chatd/main.db"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/var/lib/chatd" {
		t.Fatalf("data dir %q, want /var/lib/chatd", cfg.DataDir)
	}
	cfg, err = parse(t, map[string]string{"CHATD_DB": "/x/a.db", "CHATD_DATA_DIR": "/y"})
	if err != nil || cfg.DataDir != "/y" {
		t.Fatalf("explicit data dir: %q %v", cfg.DataDir, err)
	}
}

func TestInvalidSettings(t *testing.T) {
	dir := t.TempDir()
	pem := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(pem, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"unknown flag", nil, []string{"--nope"}, "flag provided but not defined: -nope"},
		{"positional", nil, []string{"serve", "extra"}, `unexpected argument "extra"`},
		{"bad duration env", map[string]string{"CHATD_PING_INTERVAL": "5"}, nil, "CHATD_PING_INTERVAL: want a duration"},
		{"bad duration flag", nil, []string{"--typing-timeout", "soon"}, "-typing-timeout: want a duration"},
		{"bad number", map[string]string{"CHATD_RATE_MESSAGES": "ten"}, nil, "CHATD_RATE_MESSAGES: want a number"},
		{"bad int", nil, []string{"--max-rooms=1.5"}, "-max-rooms: want a whole number"},
		{"bad bool", map[string]string{"CHATD_DEV": "maybe"}, nil, "CHATD_DEV: want true or false"},
		{"zero duration", nil, []string{"--ping-timeout=0s"}, "--ping-timeout (CHATD_PING_TIMEOUT) must be positive"},
		{"negative recovery", nil, []string{"--recovery=-1s"}, "must not be negative"},
		{"negative rate", nil, []string{"--rate-joins=-1"}, "--rate-joins (CHATD_RATE_JOINS) must be positive"},
		{"NaN rate", nil, []string{"--rate-typing=NaN"}, "--rate-typing (CHATD_RATE_TYPING) must be positive"},
		{"zero queue", nil, []string{"--send-queue=0"}, "--send-queue (CHATD_SEND_QUEUE) must be positive"},
		{"message over payload", nil, []string{"--max-payload=1000", "--max-message-bytes=2000"}, "exceeds"},
		{"cert without key", nil, []string{"--tls-cert", pem}, "must be set together"},
		{"key without cert", map[string]string{"CHATD_TLS_KEY": pem}, nil, "must be set together"},
		{"bad key pair", nil, []string{"--tls-cert", pem, "--tls-key", pem}, "load key pair"},
		{"two key sources", map[string]string{"CHATD_JWT_SECRET": "s", "CHATD_JWT_PUBLIC_KEY": pem}, nil,
			"only one JWT key source may be set, got CHATD_JWT_SECRET and CHATD_JWT_PUBLIC_KEY"},
		{"unreadable pem", nil, []string{"--jwt-public-key", filepath.Join(dir, "missing.pem")}, "--jwt-public-key (CHATD_JWT_PUBLIC_KEY)"},
		{"unreadable jwks", nil, []string{"--jwt-jwks", filepath.Join(dir, "missing.json")}, "--jwt-jwks (CHATD_JWT_JWKS)"},
		{"other URL", map[string]string{"CHATD_DB": "mysql://h/db"}, nil, "unsupported store URL"},
		{"empty db", nil, []string{"--db="}, "must not be empty"},
		{"bad redis URL", map[string]string{"CHATD_BROKER": "redis://h:6379/notadb"}, nil, "--broker (CHATD_BROKER): parse redis url"},
		{"bad redis option", nil, []string{"--broker=redis://h:6379/0?nosuch=1"}, "parse redis url"},
		{"unknown broker", nil, []string{"--broker=nats"}, `unknown broker "nats"`},
		{"bad level", nil, []string{"--log-level=loud"}, `unknown level "loud"`},
		{"bad format", nil, []string{"--log-format=xml"}, `unknown format "xml"`},
		{"bad origin", map[string]string{"CHATD_ALLOWED_ORIGINS": "good.example"}, nil, `invalid origin "good.example"`},
		{"path", nil, []string{"--path=io"}, `must start with "/"`},
		{"path on pprof", nil, []string{"--path=/debug/pprof"}, "reserved for profiles"},
		{"empty addr", nil, []string{"--addr="}, "--addr (CHATD_ADDR) must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := invoke(t, tt.vars, tt.args...)
			if r.code != exitUsage {
				t.Fatalf("exit %d, want 2; stderr %q", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr %q lacks %q", r.stderr, tt.want)
			}
			if strings.Count(r.stderr, "\n") != 1 || r.stdout != "" {
				t.Errorf("want one line on stderr and nothing on stdout, got %q / %q", r.stderr, r.stdout)
			}
		})
	}
}

func TestRedactDSN(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"./data/chatd.db", "./data/chatd.db"},
		{":memory:", ":memory:"},
		{"postgres://chatd:s3cret@db:5432/chat?sslmode=disable", "postgres://chatd:xxxxx@db:5432/chat?sslmode=disable"},
		{"postgres://db/chat?password=s3cret&user=chatd", "postgres://db/chat?password=xxxxx&user=chatd"},
		{"postgres://chatd@db/chat", "postgres://chatd@db/chat"},
	} {
		if got := redactDSN(tt.in); got != tt.want {
			t.Errorf("redactDSN(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if strings.Contains(redactDSN(tt.in), "s3cret") {
			t.Errorf("redactDSN(%q) leaks the password", tt.in)
		}
	}
}

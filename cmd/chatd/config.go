package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chatd/chatd/internal/broker"
)

// Config is every setting of chatd, in one place. Each field is bound to a flag by
// bindConfig and to the environment variable CHATD_<FLAG NAME> (dashes become
// underscores); flags win over the environment. validate checks the whole set.
type Config struct {
	Addr     string // listen address
	Path     string // Socket.IO mount path, normalized to "/…/" by validate
	TLSCert  string // certificate file; TLS is on when set together with TLSKey
	TLSKey   string // private key file
	Origins  string // raw comma list; see originPolicy
	PProf    bool   // mount /debug/pprof/
	Web      bool   // serve the chat page at /
	Dev      bool   // development mode (also implied by a generated secret)
	LogLevel string // debug, info, warn or error
	LogFmt   string // text or json

	JWTSecret    string // HS256 shared secret
	JWTPublicKey string // PEM public key file
	JWTJWKS      string // JWKS document file
	JWTIssuer    string // required iss when set
	JWTAudience  string // required aud when set

	DB           string // ":memory:" or a SQLite file path
	DataDir      string // generated secret lives here; empty means the directory of DB
	Broker       string // "memory" or a redis:// URL
	ClusterName  string // prefix of every Redis key and channel of this cluster
	AdvertiseURL string // base URL the other nodes reach this one at (cmd/chatd/forward.go)
	NodeTTL      time.Duration

	PresenceGrace   time.Duration
	TypingTimeout   time.Duration
	RateMessages    float64
	RateBurst       int
	RateTyping      float64
	RateJoins       float64
	RateConnections float64
	MaxRooms        int
	MaxMessageBytes int

	PingInterval    time.Duration
	PingTimeout     time.Duration
	MaxPayload      int
	SendQueue       int
	Recovery        time.Duration // 0 turns connection-state recovery off
	ShutdownTimeout time.Duration
}

// settingGroup is a titled block of the --help text.
type settingGroup struct {
	title string
	flags []string
}

// settingGroups orders the settings in the --help text; every flag bound by
// bindConfig appears in exactly one group (a test checks it).
func settingGroups() []settingGroup {
	return []settingGroup{
		{"Server", []string{"addr", "path", "tls-cert", "tls-key", "allowed-origins", "dev",
			"log-level", "log-format", "pprof", "web", "shutdown-timeout"}},
		{"Authentication", []string{"jwt-secret", "jwt-public-key", "jwt-jwks", "jwt-issuer", "jwt-audience"}},
		{"Storage and clustering", []string{"db", "data-dir", "broker", "cluster-name", "advertise-url", "node-ttl"}},
		{"Chat", []string{"presence-grace", "typing-timeout", "rate-messages", "rate-burst",
			"rate-typing", "rate-joins", "rate-connections", "max-rooms", "max-message-bytes"}},
		{"Socket.IO", []string{"ping-interval", "ping-timeout", "max-payload", "send-queue", "recovery"}},
	}
}

// bindConfig registers every setting of c on fs with its default.
func bindConfig(fs *flag.FlagSet, c *Config) {
	fs.StringVar(&c.Addr, "addr", ":8080", "listen address, host:port")
	fs.StringVar(&c.Path, "path", "/socket.io/", "HTTP path of the Socket.IO endpoint")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "TLS certificate file (PEM); serve HTTPS with --tls-key")
	fs.StringVar(&c.TLSKey, "tls-key", "", "TLS private key file (PEM)")
	fs.StringVar(&c.Origins, "allowed-origins", "",
		"comma-separated browser origins allowed to connect, \"*\" for any;\n"+
			"empty allows same-origin requests (and localhost in development mode)")
	boolVar(fs, &c.Dev, "dev", false, "development mode (implied when no JWT key is configured)")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&c.LogFmt, "log-format", "text", "log format: text or json")
	boolVar(fs, &c.PProf, "pprof", false, "serve Go profiles at /debug/pprof/")
	boolVar(fs, &c.Web, "web", true, "serve the chat page at / (and POST /dev/token in development mode)")
	durationVar(fs, &c.ShutdownTimeout, "shutdown-timeout", 10*time.Second,
		"how long SIGTERM may take to drain connections and flush writes")

	fs.StringVar(&c.JWTSecret, "jwt-secret", "",
		"HS256 secret (prefer the environment variable);\n"+
			"with no key source set, a secret is generated in the data directory")
	fs.StringVar(&c.JWTPublicKey, "jwt-public-key", "", "PEM public key file for RS256/ES256/EdDSA tokens")
	fs.StringVar(&c.JWTJWKS, "jwt-jwks", "", "JWKS document file for RS256/ES256/EdDSA tokens")
	fs.StringVar(&c.JWTIssuer, "jwt-issuer", "", "required token issuer (iss), if set")
	fs.StringVar(&c.JWTAudience, "jwt-audience", "", "required token audience (aud), if set")

	fs.StringVar(&c.DB, "db", "./data/chatd.db", "SQLite database file, postgres:// URL, or \":memory:\" for a volatile store")
	fs.StringVar(&c.DataDir, "data-dir", "", "data directory for the generated secret (default: directory of --db, or ./data)")
	fs.StringVar(&c.Broker, "broker", "memory", "broker relaying broadcasts between nodes: memory (single node),\n"+
		"or redis://[:password@]host:port/db (rediss:// for TLS) to fan out across nodes")
	fs.StringVar(&c.ClusterName, "cluster-name", "chatd", "name of the cluster: the prefix of its Redis keys and channels, so that\n"+
		"several clusters can share one Redis; every node of a cluster must use the same")
	fs.StringVar(&c.AdvertiseURL, "advertise-url", "", "base URL at which the other nodes reach this one (e.g. http://10.0.0.5:8080), so that\n"+
		"they relay its polling clients' requests to it; default: from --addr when it names a host")
	durationVar(fs, &c.NodeTTL, "node-ttl", 15*time.Second, "a node that stopped heartbeating is dead after this; other nodes then\n"+
		"take its users out of their rooms and mark them offline")

	durationVar(fs, &c.PresenceGrace, "presence-grace", 5*time.Second, "delay before a user whose last socket left is offline")
	durationVar(fs, &c.TypingTimeout, "typing-timeout", 6*time.Second, "typing ends without a refresh after this")
	floatVar(fs, &c.RateMessages, "rate-messages", 10, "messages per second per user")
	intVar(fs, &c.RateBurst, "rate-burst", 20, "message burst per user")
	floatVar(fs, &c.RateTyping, "rate-typing", 5, "typing state changes per second per user")
	floatVar(fs, &c.RateJoins, "rate-joins", 20, "room joins per second per user")
	floatVar(fs, &c.RateConnections, "rate-connections", 20, "new connections per second per IP address")
	intVar(fs, &c.MaxRooms, "max-rooms", 100, "most rooms one socket may be in")
	intVar(fs, &c.MaxMessageBytes, "max-message-bytes", 16384, "largest sendMessage payload, as JSON")

	durationVar(fs, &c.PingInterval, "ping-interval", 25*time.Second, "Engine.IO heartbeat interval")
	durationVar(fs, &c.PingTimeout, "ping-timeout", 20*time.Second, "Engine.IO heartbeat timeout")
	intVar(fs, &c.MaxPayload, "max-payload", 1_000_000, "largest Engine.IO message or polling body, in bytes")
	intVar(fs, &c.SendQueue, "send-queue", 1024, "most messages queued per connection before it is cut as too slow")
	durationVar(fs, &c.Recovery, "recovery", 0, "connection-state recovery window; 0 turns recovery off")
}

// envName returns the environment variable of a flag: "rate-burst" → "CHATD_RATE_BURST".
func envName(flagName string) string {
	return "CHATD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// settingName names a setting in error messages, by flag and variable.
func settingName(flagName string) string {
	return "--" + flagName + " (" + envName(flagName) + ")"
}

// isConfigFlag reports whether name is one of the settings of Config.
func isConfigFlag(name string) bool {
	for _, g := range settingGroups() {
		for _, f := range g.flags {
			if f == name {
				return true
			}
		}
	}
	return false
}

// parseFlags applies the environment to the Config settings of fs, then parses args
// over it (so flags win). Positional arguments are refused. It returns flag.ErrHelp
// when help was asked for.
func parseFlags(fs *flag.FlagSet, args []string, env func(string) string) error {
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if envErr != nil || !isConfigFlag(f.Name) {
			return
		}
		v := env(envName(f.Name))
		if v == "" {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			envErr = fmt.Errorf("invalid value %q for %s: %w", v, envName(f.Name), err)
		}
	})
	if envErr != nil {
		return envErr
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// validate checks c as a whole and normalizes it (Path, DataDir). Its errors are one
// line each and name the offending setting.
func (c *Config) validate() error {
	checks := []func() error{
		c.validateServer, c.validateAuth, c.validateTLS, c.validateStorage,
		c.validateDurations, c.validateLimits, c.validateLogging,
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) validateServer() error {
	if c.Addr == "" {
		return errors.New(settingName("addr") + " must not be empty")
	}
	if !strings.HasPrefix(c.Path, "/") {
		return fmt.Errorf("%s must start with \"/\", got %q", settingName("path"), c.Path)
	}
	if !strings.HasSuffix(c.Path, "/") {
		c.Path += "/"
	}
	if strings.HasPrefix(c.Path, pprofPath) {
		return fmt.Errorf("%s: %s is reserved for profiles", settingName("path"), pprofPath)
	}
	if _, err := newOriginPolicy(c.Origins, c.Dev); err != nil {
		return fmt.Errorf("%s: %w", settingName("allowed-origins"), err)
	}
	return nil
}

// validateLogging checks the log settings; newLogger relies on it.
func (c *Config) validateLogging() error {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return fmt.Errorf("%s: unknown level %q (want debug, info, warn or error)", settingName("log-level"), c.LogLevel)
	}
	if c.LogFmt != "text" && c.LogFmt != "json" {
		return fmt.Errorf("%s: unknown format %q (want text or json)", settingName("log-format"), c.LogFmt)
	}
	return nil
}

// positiveDurations lists the durations that must be > 0, by flag name.
func (c *Config) positiveDurations() map[string]time.Duration {
	return map[string]time.Duration{
		"shutdown-timeout": c.ShutdownTimeout, "node-ttl": c.NodeTTL,
		"presence-grace": c.PresenceGrace, "typing-timeout": c.TypingTimeout,
		"ping-interval": c.PingInterval, "ping-timeout": c.PingTimeout,
	}
}

func (c *Config) validateDurations() error {
	durations := c.positiveDurations()
	for _, name := range slices.Sorted(maps.Keys(durations)) {
		if d := durations[name]; d <= 0 {
			return fmt.Errorf("%s must be positive, got %v", settingName(name), d)
		}
	}
	if c.Recovery < 0 {
		return fmt.Errorf("%s must not be negative, got %v", settingName("recovery"), c.Recovery)
	}
	return nil
}

func (c *Config) validateLimits() error {
	positive := map[string]float64{
		"rate-messages": c.RateMessages, "rate-burst": float64(c.RateBurst),
		"rate-typing": c.RateTyping, "rate-joins": c.RateJoins,
		"rate-connections": c.RateConnections, "max-rooms": float64(c.MaxRooms),
		"max-message-bytes": float64(c.MaxMessageBytes), "max-payload": float64(c.MaxPayload),
		"send-queue": float64(c.SendQueue),
	}
	for _, name := range slices.Sorted(maps.Keys(positive)) {
		// The negated comparison also refuses NaN.
		if v := positive[name]; !(v > 0) {
			return fmt.Errorf("%s must be positive, got %v", settingName(name), v)
		}
	}
	if c.MaxMessageBytes > c.MaxPayload {
		return fmt.Errorf("%s (%d) exceeds %s (%d): no message could reach that size",
			settingName("max-message-bytes"), c.MaxMessageBytes, settingName("max-payload"), c.MaxPayload)
	}
	return nil
}

func (c *Config) validateAuth() error {
	sources := []struct{ flag, value string }{
		{"jwt-secret", c.JWTSecret}, {"jwt-public-key", c.JWTPublicKey}, {"jwt-jwks", c.JWTJWKS},
	}
	var set []string
	for _, s := range sources {
		if s.value != "" {
			set = append(set, envName(s.flag))
		}
	}
	if len(set) > 1 {
		return fmt.Errorf("only one JWT key source may be set, got %s", strings.Join(set, " and "))
	}
	for _, s := range sources[1:] {
		if s.value == "" {
			continue
		}
		if _, err := os.ReadFile(s.value); err != nil {
			return fmt.Errorf("%s: %w", settingName(s.flag), err)
		}
	}
	return nil
}

func (c *Config) validateTLS() error {
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("%s and %s must be set together", settingName("tls-cert"), settingName("tls-key"))
	}
	if c.TLSCert == "" {
		return nil
	}
	if _, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey); err != nil {
		return fmt.Errorf("%s, %s: load key pair: %w", settingName("tls-cert"), settingName("tls-key"), err)
	}
	return nil
}

// validClusterName reports whether name can prefix Redis keys and channels unambiguously.
func validClusterName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// memoryDB is the CHATD_DB value of the volatile in-memory store.
const memoryDB = ":memory:"

func (c *Config) validateStorage() error {
	switch {
	case c.DB == "":
		return errors.New(settingName("db") + " must not be empty")
	case isPostgres(c.DB):
	case strings.Contains(c.DB, "://"):
		return fmt.Errorf("%s: unsupported store URL; want a SQLite file path, a postgres:// URL or %q", settingName("db"), memoryDB)
	}
	switch {
	case c.Broker == "memory":
	case hasScheme(c.Broker, "redis", "rediss"):
		if err := broker.CheckURL(c.Broker); err != nil {
			return fmt.Errorf("%s: %w", settingName("broker"), err)
		}
	default:
		return fmt.Errorf("%s: unknown broker %q (want memory or a redis:// URL)", settingName("broker"), c.Broker)
	}
	if !validClusterName(c.ClusterName) {
		return fmt.Errorf("%s: %q must be 1-64 letters, digits, '.', '_' or '-'", settingName("cluster-name"), c.ClusterName)
	}
	if c.DataDir == "" {
		c.DataDir = defaultDataDir(c.DB)
	}
	return nil
}

// defaultDataDir keeps generated files beside the database, or in ./data when the
// database is in memory or on a PostgreSQL server.
func defaultDataDir(db string) string {
	if db == memoryDB || isPostgres(db) {
		return "data"
	}
	return filepath.Dir(db)
}

// isPostgres reports whether db names a PostgreSQL store.
func isPostgres(db string) bool { return hasScheme(db, "postgres", "postgresql") }

// hasScheme reports whether s is a URL with one of schemes.
func hasScheme(s string, schemes ...string) bool {
	scheme, _, ok := strings.Cut(s, "://")
	return ok && slices.Contains(schemes, strings.ToLower(scheme))
}

// writeHelp prints the settings of fs, grouped as in settingGroups, after the
// flags of the command itself (those that are not settings).
func writeHelp(w io.Writer, fs *flag.FlagSet, usage string) {
	fmt.Fprint(w, usage)
	var own []string
	fs.VisitAll(func(f *flag.Flag) {
		if !isConfigFlag(f.Name) {
			own = append(own, f.Name)
		}
	})
	if len(own) > 0 {
		writeHelpGroup(w, fs, "Command", own)
	}
	fmt.Fprint(w, "\nSettings: every one is a flag and an environment variable; flags win.\n")
	for _, g := range settingGroups() {
		writeHelpGroup(w, fs, g.title, g.flags)
	}
}

func writeHelpGroup(w io.Writer, fs *flag.FlagSet, title string, names []string) {
	fmt.Fprintf(w, "\n%s:\n", title)
	for _, name := range names {
		f := fs.Lookup(name)
		kind, usage := flag.UnquoteUsage(f)
		if v, ok := f.Value.(interface{ Kind() string }); ok {
			kind = v.Kind()
		}
		left := "  --" + name
		if kind != "" {
			left += " " + kind
		}
		var right []string
		if isConfigFlag(name) {
			right = append(right, envName(name))
		}
		switch {
		case kind == "string" && f.DefValue != "":
			right = append(right, "default "+strconv.Quote(f.DefValue))
		case kind != "string":
			right = append(right, "default "+f.DefValue)
		}
		line := fmt.Sprintf("%-34s %s", left, strings.Join(right, ", "))
		fmt.Fprintln(w, strings.TrimRight(line, " "))
		for line := range strings.SplitSeq(usage, "\n") {
			fmt.Fprintf(w, "      %s\n", line)
		}
	}
}

// redactDSN returns db fit for logs and error messages: a URL's password, in its user
// info or as a password query parameter, is masked.
func redactDSN(db string) string {
	if !strings.Contains(db, "://") {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		return "(unparsable store URL)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

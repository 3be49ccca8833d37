// Command chatd is the chat server: it wires the layers of chatd together (transport
// engineio, protocol socketio, domain chat, and store and auth beneath) behind one
// HTTP listener, and owns every setting, the operational endpoints and the graceful
// drain. Nothing but wiring lives here.
//
// Usage:
//
//	chatd [serve] [flags]   run the server (the default command)
//	chatd token --sub ID    print a development token
//	chatd version           print the version
//	chatd bench SCENARIO    load-test a server (fanout, idle, connect, history)
//
// See chatd --help for every setting and its environment variable.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // a runtime failure: the store cannot open, the port is taken…
	exitUsage   = 2 // bad command line or settings
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, a second one kills at once instead of waiting for
		// the drain.
		<-ctx.Done()
		stop()
	}()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run runs the command line args with the environment env and returns the exit code.
// Serving stops when ctx is done.
func run(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) int {
	c := &cli{env: env, stdout: stdout, stderr: stderr}
	return c.run(ctx, args)
}

// cli is one invocation of chatd.
type cli struct {
	env    func(string) string
	stdout io.Writer // command output: help, tokens, version
	stderr io.Writer // logs and errors
	// onListen, when set, is told the bound address once the server listens (tests
	// listen on 127.0.0.1:0).
	onListen func(net.Addr)
}

func (c *cli) run(ctx context.Context, args []string) int {
	cmd, rest := "serve", args
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, rest = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return c.serve(ctx, rest)
	case "token":
		return c.token(rest)
	case "version":
		return c.version(rest)
	case "bench":
		return c.bench(ctx, rest)
	case "help":
		return c.serve(ctx, []string{"--help"})
	default:
		return c.usageError(fmt.Errorf("unknown command %q (want serve, token, version or bench)", cmd))
	}
}

// configError marks an error caused by the settings rather than by the environment
// the server runs in; it exits with exitUsage.
type configError struct{ err error }

func (e *configError) Error() string { return e.err.Error() }
func (e *configError) Unwrap() error { return e.err }

// usageError reports err on one line and returns exitUsage.
func (c *cli) usageError(err error) int {
	fmt.Fprintf(c.stderr, "chatd: %v (see chatd --help)\n", err)
	return exitUsage
}

// fail reports err on one line and returns the exit code its kind calls for.
func (c *cli) fail(err error) int {
	var ce *configError
	if errors.As(err, &ce) {
		return c.usageError(err)
	}
	fmt.Fprintf(c.stderr, "chatd: %v\n", err)
	return exitFailure
}

// parseCommand parses the flags of a command into cfg and validates it. It returns
// done = true, with the exit code, when the command must stop here: help was printed
// or the settings are wrong.
func (c *cli) parseCommand(fs *flag.FlagSet, cfg *Config, args []string, usage string) (code int, done bool) {
	fs.SetOutput(io.Discard) // errors are reported by usageError, on one line
	fs.Usage = func() {}
	err := parseFlags(fs, args, c.env)
	if errors.Is(err, flag.ErrHelp) {
		writeHelp(c.stdout, fs, usage)
		return exitOK, true
	}
	if err == nil {
		err = cfg.validate()
	}
	if err != nil {
		return c.usageError(err), true
	}
	return exitOK, false
}

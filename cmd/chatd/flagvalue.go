package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"time"
)

// value is a flag.Value whose parse errors say what was wanted, so that a bad flag or
// environment variable reads "want a duration such as 500ms or 5s" instead of the
// flag package's bare "parse error".
type value[T any] struct {
	p     *T
	parse func(string) (T, error)
	kind  string // placeholder in --help, "" for a boolean
}

func (v *value[T]) String() string {
	if v == nil || v.p == nil {
		return "" // the flag package probes zero values
	}
	return fmt.Sprint(*v.p)
}

func (v *value[T]) Set(s string) error {
	x, err := v.parse(s)
	if err != nil {
		return err
	}
	*v.p = x
	return nil
}

// IsBoolFlag lets a boolean be given as a bare --flag.
func (v *value[T]) IsBoolFlag() bool { return v.kind == "" }

// Kind names the placeholder of the flag in --help.
func (v *value[T]) Kind() string { return v.kind }

func defineValue[T any](fs *flag.FlagSet, p *T, name string, def T, usage, kind string, parse func(string) (T, error)) {
	*p = def
	fs.Var(&value[T]{p: p, parse: parse, kind: kind}, name, usage)
}

func durationVar(fs *flag.FlagSet, p *time.Duration, name string, def time.Duration, usage string) {
	defineValue(fs, p, name, def, usage, "duration", func(s string) (time.Duration, error) {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, errors.New("want a duration such as 500ms, 5s or 2m")
		}
		return d, nil
	})
}

func intVar(fs *flag.FlagSet, p *int, name string, def int, usage string) {
	defineValue(fs, p, name, def, usage, "int", func(s string) (int, error) {
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, errors.New("want a whole number")
		}
		return n, nil
	})
}

func floatVar(fs *flag.FlagSet, p *float64, name string, def float64, usage string) {
	defineValue(fs, p, name, def, usage, "number", func(s string) (float64, error) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, errors.New("want a number such as 10 or 0.5")
		}
		return f, nil
	})
}

func boolVar(fs *flag.FlagSet, p *bool, name string, def bool, usage string) {
	defineValue(fs, p, name, def, usage, "", func(s string) (bool, error) {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return false, errors.New("want true or false")
		}
		return b, nil
	})
}

package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// splitArgs splits s into words like a POSIX shell would, without
// expansions: whitespace separates words, single quotes keep everything
// literally, double quotes keep everything but backslash escapes, and a
// backslash outside quotes escapes the next character.
func splitArgs(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated single quote")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`"\$`+"`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errors.New("unterminated double quote")
			}
			inWord = true
		case c == '\\':
			if i+1 >= len(s) {
				return nil, errors.New("trailing backslash")
			}
			i++
			cur.WriteByte(s[i])
			inWord = true
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		args = append(args, cur.String())
	}
	return args, nil
}

// runFilterFlags are kvmconform run's filter flags, which the guest passes
// on (guestconf.Config.RunArgs).
var runFilterFlags = []string{"label-filter", "focus", "skip"}

// translateGinkgoArgs turns --ginkgo-args, the flags the suites' test
// binaries once got, into kvmconform run's: -ginkgo.label-filter,
// -ginkgo.focus and -ginkgo.skip (with = or as two words, one or two
// dashes) become --label-filter, --focus and --skip; -ginkgo.v and
// -ginkgo.vv are dropped (the guest runs verbose); kvmconform run's own
// filter flags pass as they are. Anything else has no equivalent in the
// one binary and is an error.
func translateGinkgoArgs(args []string) ([]string, error) {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			return nil, fmt.Errorf("%q is not a flag (want e.g. -ginkgo.label-filter=smoke)", a)
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		name = strings.TrimPrefix(name, "ginkgo.")
		switch {
		case name == "v" || name == "vv":
			continue
		case slices.Contains(runFilterFlags, name):
			if !hasValue {
				if i+1 >= len(args) {
					return nil, fmt.Errorf("%s needs a value", a)
				}
				i++
				value = args[i]
			}
			out = append(out, "--"+name+"="+value)
		default:
			return nil, fmt.Errorf("%s has no kvmconform run equivalent (the guest runs the one conformance binary; use --label-filter, --focus or --skip)", a)
		}
	}
	return out, nil
}

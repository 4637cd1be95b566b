package inventory

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// ErrTemplate is returned for Jinja expressions beyond the small subset the
// runner evaluates itself: a variable name followed by filters among
// dirname, basename, string, int, trim, lower, upper and default('x').
var ErrTemplate = errors.New("unsupported template expression")

// lookupFunc resolves a variable name (already rendered).
type lookupFunc func(name string) (any, bool, error)

// render evaluates the {{ }} expressions in s. A string that is a single
// expression keeps the expression's type (an int stays an int).
func render(s string, lookup lookupFunc) (any, error) {
	if !strings.Contains(s, "{{") {
		return s, nil
	}
	trimmed := strings.TrimSpace(s)
	if strings.HasPrefix(trimmed, "{{") && strings.HasSuffix(trimmed, "}}") &&
		strings.Count(trimmed, "{{") == 1 {
		return evalExpr(strings.TrimSpace(trimmed[2:len(trimmed)-2]), lookup)
	}
	var b strings.Builder
	rest := s
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			return nil, fmt.Errorf("%w: unclosed {{ in %q", ErrTemplate, s)
		}
		b.WriteString(rest[:i])
		v, err := evalExpr(strings.TrimSpace(rest[i+2:i+j]), lookup)
		if err != nil {
			return nil, err
		}
		b.WriteString(toString(v))
		rest = rest[i+j+2:]
	}
	return b.String(), nil
}

func evalExpr(expr string, lookup lookupFunc) (any, error) {
	if strings.Contains(expr, "{%") || strings.Contains(expr, "(") && !strings.Contains(expr, "default(") {
		return nil, fmt.Errorf("%w: %q", ErrTemplate, expr)
	}
	parts := splitFilters(expr)
	name := strings.TrimSpace(parts[0])
	if !isIdent(name) {
		return nil, fmt.Errorf("%w: %q", ErrTemplate, expr)
	}
	v, ok, err := lookup(name)
	if err != nil {
		return nil, err
	}
	for _, f := range parts[1:] {
		f = strings.TrimSpace(f)
		if strings.HasPrefix(f, "default(") && strings.HasSuffix(f, ")") {
			if !ok || v == nil || v == "" {
				lit := strings.TrimSpace(f[len("default(") : len(f)-1])
				d, err := literal(lit)
				if err != nil {
					return nil, fmt.Errorf("%w: %q", ErrTemplate, expr)
				}
				v, ok = d, true
			}
			continue
		}
		if !ok {
			return nil, fmt.Errorf("variable %q is not defined", name)
		}
		switch f {
		case "dirname":
			v = path.Dir(toString(v))
		case "basename":
			v = path.Base(toString(v))
		case "string":
			v = toString(v)
		case "trim":
			v = strings.TrimSpace(toString(v))
		case "lower":
			v = strings.ToLower(toString(v))
		case "upper":
			v = strings.ToUpper(toString(v))
		case "int":
			n, err := strconv.Atoi(strings.TrimSpace(toString(v)))
			if err != nil {
				n = 0
			}
			v = n
		default:
			return nil, fmt.Errorf("%w: filter %q in %q", ErrTemplate, f, expr)
		}
	}
	if !ok {
		return nil, fmt.Errorf("variable %q is not defined", name)
	}
	return v, nil
}

func splitFilters(expr string) []string {
	var parts []string
	depth, quote, start := 0, byte(0), 0
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == '|' && depth == 0:
			parts = append(parts, expr[start:i])
			start = i + 1
		}
	}
	return append(parts, expr[start:])
}

func literal(s string) (any, error) {
	if len(s) >= 2 && (s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1], nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		return n, nil
	}
	return nil, ErrTemplate
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9' {
			continue
		}
		return false
	}
	return true
}

func toString(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case float64:
		if t == float64(int64(t)) {
			return strconv.FormatInt(int64(t), 10)
		}
		return strconv.FormatFloat(t, 'f', -1, 64)
	default:
		return fmt.Sprint(t)
	}
}

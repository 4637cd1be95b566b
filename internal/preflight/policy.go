package preflight

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Policy is a parsed Fabric signature policy (the syntax of peer
// chaincode instantiate -P and configtx.yaml): a principal, or a gate
// needing N of its rules.
type Policy struct {
	// Principal is set for a leaf: MSPID and role.
	MSPID, Role string
	// N of Rules must be satisfied (AND: all, OR: 1, OutOf: N).
	N     int
	Rules []*Policy
}

// principalPattern is Fabric's principal syntax: 'MSPID.role'.
var principalPattern = regexp.MustCompile(`^([[:alnum:].-]+)[.](member|admin|client|peer|orderer)$`)

// maxPolicyDepth bounds nesting (a policy is a few levels deep).
const maxPolicyDepth = 32

// ParsePolicy parses a signature policy such as
// OR('Org1MSP.peer', AND('Org2MSP.member', 'Org3MSP.admin')) or
// OutOf(2, 'A.member', 'B.member', 'C.member').
func ParsePolicy(s string) (*Policy, error) {
	p := &policyParser{src: s}
	pol, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos != len(p.src) {
		return nil, fmt.Errorf("unexpected %q at offset %d", p.rest(), p.pos)
	}
	return pol, nil
}

// MSPIDs lists the MSP IDs a policy names, in order, each once.
func (p *Policy) MSPIDs() []string {
	seen := map[string]bool{}
	var out []string
	var walk func(*Policy)
	walk = func(q *Policy) {
		if q.MSPID != "" && !seen[q.MSPID] {
			seen[q.MSPID] = true
			out = append(out, q.MSPID)
		}
		for _, r := range q.Rules {
			walk(r)
		}
	}
	walk(p)
	return out
}

type policyParser struct {
	src string
	pos int
}

func (p *policyParser) space() {
	for p.pos < len(p.src) && unicode.IsSpace(rune(p.src[p.pos])) {
		p.pos++
	}
}

func (p *policyParser) rest() string {
	r := p.src[p.pos:]
	if len(r) > 20 {
		r = r[:20] + "..."
	}
	return r
}

func (p *policyParser) expr(depth int) (*Policy, error) {
	if depth > maxPolicyDepth {
		return nil, fmt.Errorf("nested more than %d levels", maxPolicyDepth)
	}
	p.space()
	if p.pos >= len(p.src) {
		return nil, fmt.Errorf("ends where a rule was expected")
	}
	if c := p.src[p.pos]; c == '\'' || c == '"' {
		s, err := p.quoted()
		if err != nil {
			return nil, err
		}
		m := principalPattern.FindStringSubmatch(s)
		if m == nil {
			return nil, fmt.Errorf("principal %q is not 'MSPID.role' with role member, admin, client, peer or orderer", s)
		}
		return &Policy{MSPID: m[1], Role: m[2]}, nil
	}
	start := p.pos
	for p.pos < len(p.src) && (unicode.IsLetter(rune(p.src[p.pos]))) {
		p.pos++
	}
	gate := p.src[start:p.pos]
	p.space()
	if p.pos >= len(p.src) || p.src[p.pos] != '(' {
		return nil, fmt.Errorf("expected AND(, OR( or OutOf( or a quoted principal at offset %d, found %q", start, p.srcFrom(start))
	}
	p.pos++
	n := -1
	switch strings.ToLower(gate) {
	case "and", "or":
	case "outof":
		p.space()
		ns := p.pos
		for p.pos < len(p.src) && (p.src[p.pos] >= '0' && p.src[p.pos] <= '9' || p.src[p.pos] == '\'' || p.src[p.pos] == '"') {
			p.pos++
		}
		v, err := strconv.Atoi(strings.Trim(p.src[ns:p.pos], `'"`))
		if err != nil {
			return nil, fmt.Errorf("OutOf needs a number first, found %q", p.srcFrom(ns))
		}
		n = v
		p.space()
		if p.pos >= len(p.src) || p.src[p.pos] != ',' {
			return nil, fmt.Errorf("OutOf(%d needs rules after the number", n)
		}
		p.pos++
	default:
		return nil, fmt.Errorf("unknown gate %q (AND, OR or OutOf)", gate)
	}
	var rules []*Policy
	for {
		r, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		rules = append(rules, r)
		p.space()
		if p.pos >= len(p.src) {
			return nil, fmt.Errorf("%s( is not closed", gate)
		}
		if p.src[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.src[p.pos] == ')' {
			p.pos++
			break
		}
		return nil, fmt.Errorf("expected , or ) at offset %d, found %q", p.pos, p.rest())
	}
	switch strings.ToLower(gate) {
	case "and":
		n = len(rules)
	case "or":
		n = 1
	}
	if n < 1 || n > len(rules) {
		return nil, fmt.Errorf("OutOf(%d, ...) with %d rules can never be satisfied", n, len(rules))
	}
	return &Policy{N: n, Rules: rules}, nil
}

func (p *policyParser) srcFrom(i int) string {
	r := p.src[i:]
	if len(r) > 20 {
		r = r[:20] + "..."
	}
	return r
}

func (p *policyParser) quoted() (string, error) {
	q := p.src[p.pos]
	end := strings.IndexByte(p.src[p.pos+1:], q)
	if end < 0 {
		return "", fmt.Errorf("unclosed quote at offset %d", p.pos)
	}
	s := p.src[p.pos+1 : p.pos+1+end]
	p.pos += end + 2
	return s, nil
}

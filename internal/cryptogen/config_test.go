package cryptogen

import (
	"reflect"
	"strings"
	"testing"
)

func TestCryptoParseYAMLStrict(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		err  []string // substrings of the error; none means success
		want func(*Config) bool
	}{
		{name: "valid", in: "PeerOrgs:\n  - Name: Org1\n    Domain: org1.example.com\n    Template: {Count: 2}\n",
			want: func(c *Config) bool { return c.PeerOrgs[0].Template.Count == 2 }},
		{name: "unknown top-level field", in: "PeerOrg:\n  - Name: x\n",
			err: []string{`unknown field "PeerOrg"`, "line 1", "OrdererOrgs, PeerOrgs"}},
		{name: "unknown nested field", in: "PeerOrgs:\n  - Name: Org1\n    Domain: d\n    Template:\n      Cont: 2\n",
			err: []string{"PeerOrgs[0].Template", `unknown field "Cont"`, "line 5", "Count, Start, Hostname, SANS"}},
		{name: "unknown field in a spec", in: "OrdererOrgs:\n  - Domain: d\n    Specs:\n      - Hostname: o\n        SAN: [x]\n",
			err: []string{"OrdererOrgs[0].Specs[0]", `unknown field "SAN"`}},
		{name: "fields are case-sensitive", in: "PeerOrgs:\n  - name: Org1\n",
			err: []string{`unknown field "name"`}},
		{name: "not an integer", in: "PeerOrgs:\n  - Domain: d\n    Users: {Count: many}\n",
			err: []string{"PeerOrgs[0].Users.Count", "expected a whole number", `"many"`}},
		{name: "quoted integer is fine", in: "PeerOrgs:\n  - Domain: d\n    Users: {Count: \"3\"}\n",
			want: func(c *Config) bool { return c.PeerOrgs[0].Users.Count == 3 }},
		{name: "yes is a boolean", in: "PeerOrgs:\n  - Domain: d\n    EnableNodeOUs: yes\n",
			want: func(c *Config) bool { return c.PeerOrgs[0].EnableNodeOUs }},
		{name: "not a boolean", in: "PeerOrgs:\n  - Domain: d\n    EnableNodeOUs: maybe\n",
			err: []string{"PeerOrgs[0].EnableNodeOUs", "expected a boolean"}},
		{name: "list expected", in: "PeerOrgs:\n  Domain: d\n",
			err: []string{"PeerOrgs", "expected a list"}},
		{name: "mapping expected", in: "PeerOrgs:\n  - Domain: d\n    Template: 3\n",
			err: []string{"PeerOrgs[0].Template", "expected a mapping"}},
		{name: "IP SAN stays a string", in: "OrdererOrgs:\n  - Domain: d\n    Specs:\n      - Hostname: o\n        SANS: [10.0.0.1, 7]\n",
			want: func(c *Config) bool {
				return reflect.DeepEqual(c.OrdererOrgs[0].Specs[0].SANS, []string{"10.0.0.1", "7"})
			}},
		{name: "duplicate key", in: "PeerOrgs:\n  - Domain: d\n    Domain: e\n",
			err: []string{"already defined"}},
		{name: "anchors and merge keys", in: "x: &t {Count: 2}\n",
			err: []string{`unknown field "x"`}},
		{name: "merge key", in: "PeerOrgs:\n  - &o {Domain: a, Template: {Count: 1}}\n  - <<: *o\n    Domain: b\n",
			want: func(c *Config) bool { return c.PeerOrgs[1].Domain == "b" && c.PeerOrgs[1].Template.Count == 1 }},
		{name: "empty document", in: "", err: []string{"empty"}},
		{name: "not YAML", in: "PeerOrgs: [\n", err: []string{"yaml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseYAML([]byte(tc.in))
			checkErr(t, err, tc.err)
			if err == nil && tc.want != nil && !tc.want(c) {
				t.Errorf("decoded %+v", c)
			}
		})
	}
}

func checkErr(t *testing.T, err error, want []string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

func TestCryptoParseMapStrict(t *testing.T) {
	org := func(extra map[string]any) map[string]any {
		m := map[string]any{"Name": "Org1", "Domain": "org1.example.com"}
		for k, v := range extra {
			m[k] = v
		}
		return map[string]any{"PeerOrgs": []any{m}}
	}
	for _, tc := range []struct {
		name string
		in   map[string]any
		err  []string
		want func(*Config) bool
	}{
		{name: "JSON numbers", in: org(map[string]any{"Template": map[string]any{"Count": 2.0}, "Users": map[string]any{"Count": float64(1)}}),
			want: func(c *Config) bool { return c.PeerOrgs[0].Template.Count == 2 && c.PeerOrgs[0].Users.Count == 1 }},
		{name: "templated string numbers", in: org(map[string]any{"Template": map[string]any{"Count": "2"}}),
			want: func(c *Config) bool { return c.PeerOrgs[0].Template.Count == 2 }},
		{name: "fraction", in: org(map[string]any{"Template": map[string]any{"Count": 2.5}}),
			err: []string{"PeerOrgs[0].Template.Count", "expected a whole number"}},
		{name: "unknown field", in: org(map[string]any{"Peers": 3}),
			err: []string{"PeerOrgs[0]", `unknown field "Peers"`}},
		{name: "no line numbers for a dict", in: map[string]any{"Bogus": 1},
			err: []string{`unknown field "Bogus"`}},
		{name: "bool", in: org(map[string]any{"EnableNodeOUs": true}),
			want: func(c *Config) bool { return c.PeerOrgs[0].EnableNodeOUs }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseMap(tc.in)
			checkErr(t, err, tc.err)
			if err == nil && tc.want != nil && !tc.want(c) {
				t.Errorf("decoded %+v", c)
			}
			if err != nil && strings.Contains(err.Error(), "line ") {
				t.Errorf("a dict has no lines, got %v", err)
			}
		})
	}
}

func TestCryptoRender(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    string
		err   []string
		check func(t *testing.T, orgs []*Org, warnings []string)
	}{
		{name: "defaults as cryptogen", in: `
PeerOrgs:
  - Name: Org1
    Domain: org1.example.com
    Template: {Count: 2}
    Users: {Count: 2}
`, check: func(t *testing.T, orgs []*Org, _ []string) {
			o := orgs[0]
			if o.CA.CommonName != "ca.org1.example.com" || o.Admin != "Admin@org1.example.com" || o.Dir() != "peerOrganizations/org1.example.com" {
				t.Errorf("got %+v", o)
			}
			want := []Node{
				{Path: "PeerOrgs[0].Template (node 0)", Hostname: "peer0", CommonName: "peer0.org1.example.com", SANS: []string{"peer0.org1.example.com", "peer0"}},
				{Path: "PeerOrgs[0].Template (node 1)", Hostname: "peer1", CommonName: "peer1.org1.example.com", SANS: []string{"peer1.org1.example.com", "peer1"}},
			}
			if !reflect.DeepEqual(o.Nodes, want) {
				t.Errorf("nodes %+v, want %+v", o.Nodes, want)
			}
			if !reflect.DeepEqual(o.Users, []string{"User1@org1.example.com", "User2@org1.example.com"}) {
				t.Errorf("users %v", o.Users)
			}
		}},
		{name: "templates", in: `
OrdererOrgs:
  - Name: Orderer
    Domain: example.com
    CA: {Hostname: rootca, Country: DE}
    Specs:
      - Hostname: foo
        CommonName: "foo27.{{.Domain}}"
        SANS: ["bar.{{.Domain}}", "{{.Hostname}}.alt", "{{.CommonName}}.x", 172.16.10.31]
    Template:
      Count: 2
      Start: 5
      Hostname: "node{{.Index}}-{{.Prefix}}"
      SANS: ["{{.Hostname}}.{{.Domain}}.lan"]
    Users: {Count: 3}
`, check: func(t *testing.T, orgs []*Org, warnings []string) {
			o := orgs[0]
			if o.CA.CommonName != "rootca.example.com" || o.CA.Country != "DE" {
				t.Errorf("CA %+v", o.CA)
			}
			if got := o.Nodes[0]; got.CommonName != "foo27.example.com" ||
				!reflect.DeepEqual(got.SANS, []string{"foo27.example.com", "foo", "bar.example.com", "foo.alt", "foo27.example.com.x", "172.16.10.31"}) {
				t.Errorf("spec node %+v", got)
			}
			if got := o.Nodes[1]; got.Hostname != "node5-orderer" || !reflect.DeepEqual(got.SANS, []string{"node5-orderer.example.com", "node5-orderer", "node5-orderer.example.com.lan"}) {
				t.Errorf("template node %+v", got)
			}
			if o.Nodes[2].Hostname != "node6-orderer" || len(o.Users) != 0 {
				t.Errorf("nodes %+v users %v", o.Nodes, o.Users)
			}
			if len(warnings) != 1 || !strings.Contains(warnings[0], "OrdererOrgs[0].Users.Count is ignored") {
				t.Errorf("warnings %q", warnings)
			}
		}},
		{name: "unnamed org is keyed by domain", in: "PeerOrgs: [{Domain: a.example}]",
			check: func(t *testing.T, orgs []*Org, _ []string) {
				if orgs[0].Key() != "a.example" {
					t.Errorf("key %q", orgs[0].Key())
				}
			}},
		{name: "no orgs", in: "PeerOrgs: []", err: []string{"no organizations"}},
		{name: "negative template count", in: "PeerOrgs: [{Domain: d, Template: {Count: -1}}]", err: []string{"PeerOrgs[0].Template.Count", "negative"}},
		{name: "negative users count", in: "PeerOrgs: [{Domain: d, Users: {Count: -2}}]", err: []string{"PeerOrgs[0].Users.Count", "negative"}},
		{name: "negative start", in: "PeerOrgs: [{Domain: d, Template: {Count: 1, Start: -1}}]", err: []string{"PeerOrgs[0].Template.Start"}},
		{name: "huge count", in: "PeerOrgs: [{Domain: d, Users: {Count: 100000}}]", err: []string{"at most"}},
		{name: "missing domain", in: "PeerOrgs: [{Name: x}]", err: []string{"PeerOrgs[0].Domain", "empty"}},
		{name: "domain with slash", in: "PeerOrgs: [{Domain: ../etc}]", err: []string{"PeerOrgs[0].Domain", "'/'"}},
		{name: "hidden domain", in: "PeerOrgs: [{Domain: .x}]", err: []string{"PeerOrgs[0].Domain"}},
		{name: "missing hostname", in: "OrdererOrgs: [{Domain: d, Specs: [{CommonName: x}]}]", err: []string{"OrdererOrgs[0].Specs[0].Hostname", "required"}},
		{name: "duplicate hostname spec and template", in: "PeerOrgs: [{Domain: d, Specs: [{Hostname: peer0}], Template: {Count: 1}}]",
			err: []string{"PeerOrgs[0].Template (node 0).Hostname", `duplicate hostname "peer0"`, "PeerOrgs[0].Specs[0]"}},
		{name: "duplicate hostname in specs", in: "OrdererOrgs: [{Domain: d, Specs: [{Hostname: o}, {Hostname: o}]}]",
			err: []string{"OrdererOrgs[0].Specs[1].Hostname", "duplicate hostname"}},
		{name: "duplicate common name", in: "OrdererOrgs: [{Domain: d, Specs: [{Hostname: a, CommonName: x.d}, {Hostname: b, CommonName: x.d}]}]",
			err: []string{"OrdererOrgs[0].Specs[1].CommonName", "duplicate common name"}},
		{name: "common name with slash", in: "OrdererOrgs: [{Domain: d, Specs: [{Hostname: a, CommonName: a/b}]}]",
			err: []string{"OrdererOrgs[0].Specs[0].CommonName"}},
		{name: "duplicate domain", in: "PeerOrgs: [{Name: a, Domain: d}, {Name: b, Domain: d}]",
			err: []string{"PeerOrgs[1].Domain", "duplicate domain", "PeerOrgs[0]"}},
		{name: "same domain for an orderer and a peer org is fine", in: "PeerOrgs: [{Name: a, Domain: d}]\nOrdererOrgs: [{Name: b, Domain: d}]"},
		{name: "duplicate name", in: "PeerOrgs: [{Name: a, Domain: d}]\nOrdererOrgs: [{Name: a, Domain: e}]",
			err: []string{"OrdererOrgs[0].Name", `duplicate organization name "a"`}},
		{name: "bad template", in: "OrdererOrgs: [{Domain: d, Specs: [{Hostname: a, SANS: ['{{.Nope}}']}]}]",
			err: []string{"OrdererOrgs[0].Specs[0].SANS[0]", "Nope"}},
		{name: "unparsable template", in: "OrdererOrgs: [{Domain: d, Specs: [{Hostname: a, CommonName: '{{'}]}]",
			err: []string{"OrdererOrgs[0].Specs[0].CommonName", "bad template"}},
		{name: "empty SAN", in: "OrdererOrgs: [{Domain: d, Specs: [{Hostname: a, SANS: ['']}]}]",
			err: []string{"OrdererOrgs[0].Specs[0].SANS[0]", "empty"}},
		{name: "template hostname", in: "PeerOrgs: [{Domain: d, Template: {Count: 1, Hostname: '{{.Bad}}'}}]",
			err: []string{"PeerOrgs[0].Template.Hostname"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseYAML([]byte(tc.in))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			orgs, warnings, err := c.Render()
			checkErr(t, err, tc.err)
			if err == nil && tc.check != nil {
				tc.check(t, orgs, warnings)
			}
		})
	}
}

package main

import (
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/shim"
	"github.com/hyperledger/fabric-chaincode-go/shimtest"
	pb "github.com/hyperledger/fabric-protos-go/peer"
)

func byteArgs(args ...string) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = []byte(a)
	}
	return out
}

// seeded is a MockStub initialised the way the seed instantiates the chaincode.
func seeded(t *testing.T) *shimtest.MockStub {
	t.Helper()
	stub := shimtest.NewMockStub("mycc", new(Chaincode))
	if r := stub.MockInit("init", byteArgs("init", "a", "100", "b", "200")); r.Status != shim.OK {
		t.Fatalf("init: %d %s", r.Status, r.Message)
	}
	return stub
}

func wantState(t *testing.T, stub *shimtest.MockStub, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for k, v := range stub.State {
		got[k] = string(v)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("state = %v, want %v", got, want)
	}
}

func TestInit(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
		state   map[string]string
	}{
		{"seed call", []string{"init", "a", "100", "b", "200"}, "", map[string]string{"a": "100", "b": "200"}},
		{"function name is not checked", []string{"Init", "x", "-5", "y", "0"}, "", map[string]string{"x": "-5", "y": "0"}},
		{"same account twice keeps the last", []string{"init", "a", "1", "a", "2"}, "", map[string]string{"a": "2"}},
		{"no args", nil, errInitArgs, map[string]string{}},
		{"three params", []string{"init", "a", "100", "b"}, errInitArgs, map[string]string{}},
		{"five params", []string{"init", "a", "100", "b", "200", "c"}, errInitArgs, map[string]string{}},
		{"params without function name", []string{"a", "100", "b", "200"}, errInitArgs, map[string]string{}},
		{"A value not an integer", []string{"init", "a", "ten", "b", "200"}, errHolding, map[string]string{}},
		{"B value not an integer", []string{"init", "a", "100", "b", "2.5"}, errHolding, map[string]string{}},
		{"empty value", []string{"init", "a", "", "b", "200"}, errHolding, map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stub := shimtest.NewMockStub("mycc", new(Chaincode))
			r := stub.MockInit("tx1", byteArgs(tc.args...))
			checkResponse(t, r, tc.wantErr, "")
			wantState(t, stub, tc.state)
		})
	}
}

func checkResponse(t *testing.T, r pb.Response, wantErr, wantPayload string) {
	t.Helper()
	if wantErr == "" {
		if r.Status != shim.OK {
			t.Fatalf("status %d, message %q; want OK", r.Status, r.Message)
		}
		if string(r.Payload) != wantPayload {
			t.Errorf("payload %q, want %q", r.Payload, wantPayload)
		}
		return
	}
	if r.Status != shim.ERROR {
		t.Fatalf("status %d, payload %q; want error %q", r.Status, r.Payload, wantErr)
	}
	if !strings.Contains(r.Message, wantErr) {
		t.Errorf("message %q, want %q", r.Message, wantErr)
	}
}

func TestInvoke(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
		payload string
		state   map[string]string
	}{
		{"query a", []string{"query", "a"}, "", "100", map[string]string{"a": "100", "b": "200"}},
		{"query b", []string{"query", "b"}, "", "200", map[string]string{"a": "100", "b": "200"}},
		{"query missing", []string{"query", "c"}, `{"Error":"Nil amount for c"}`, "", map[string]string{"a": "100", "b": "200"}},
		{"query no args", []string{"query"}, errQueryArgs, "", map[string]string{"a": "100", "b": "200"}},
		{"query two args", []string{"query", "a", "b"}, errQueryArgs, "", map[string]string{"a": "100", "b": "200"}},
		{"move 10 a to b", []string{"invoke", "a", "b", "10"}, "", "", map[string]string{"a": "90", "b": "210"}},
		{"move without balance check", []string{"invoke", "a", "b", "150"}, "", "", map[string]string{"a": "-50", "b": "350"}},
		{"move negative amount", []string{"invoke", "a", "b", "-10"}, "", "", map[string]string{"a": "110", "b": "190"}},
		{"move to self", []string{"invoke", "a", "a", "10"}, "", "", map[string]string{"a": "110", "b": "200"}},
		{"move two args", []string{"invoke", "a", "b"}, errInvokeArgs, "", map[string]string{"a": "100", "b": "200"}},
		{"move four args", []string{"invoke", "a", "b", "1", "2"}, errInvokeArgs, "", map[string]string{"a": "100", "b": "200"}},
		{"move from missing", []string{"invoke", "c", "b", "1"}, errNotFound, "", map[string]string{"a": "100", "b": "200"}},
		{"move to missing", []string{"invoke", "a", "c", "1"}, errNotFound, "", map[string]string{"a": "100", "b": "200"}},
		{"move bad amount", []string{"invoke", "a", "b", "x"}, errAmount, "", map[string]string{"a": "100", "b": "200"}},
		{"delete a", []string{"delete", "a"}, "", "", map[string]string{"b": "200"}},
		{"delete missing is fine", []string{"delete", "c"}, "", "", map[string]string{"a": "100", "b": "200"}},
		{"delete no args", []string{"delete"}, errDeleteArgs, "", map[string]string{"a": "100", "b": "200"}},
		{"unknown function", []string{"transfer", "a", "b", "1"}, errFunctionName, "", map[string]string{"a": "100", "b": "200"}},
		{"function names are case sensitive", []string{"Query", "a"}, errFunctionName, "", map[string]string{"a": "100", "b": "200"}},
		{"init through invoke", []string{"init", "a", "1", "b", "2"}, errFunctionName, "", map[string]string{"a": "100", "b": "200"}},
		{"no args", nil, errFunctionName, "", map[string]string{"a": "100", "b": "200"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stub := seeded(t)
			r := stub.MockInvoke("tx2", byteArgs(tc.args...))
			checkResponse(t, r, tc.wantErr, tc.payload)
			wantState(t, stub, tc.state)
		})
	}
	if errFunctionName != `Invalid invoke function name. Expecting "invoke" "delete" "query"` {
		t.Errorf("function-name message changed: %s", errFunctionName)
	}
}

// TestSeedScenario is the guide's sequence: query a (100), move 10 from a
// to b, query b (210), then delete a and query it (error).
func TestSeedScenario(t *testing.T) {
	stub := seeded(t)
	steps := []struct {
		args    []string
		wantErr string
		payload string
	}{
		{[]string{"query", "a"}, "", "100"},
		{[]string{"invoke", "a", "b", "10"}, "", ""},
		{[]string{"query", "b"}, "", "210"},
		{[]string{"query", "a"}, "", "90"},
		{[]string{"delete", "a"}, "", ""},
		{[]string{"query", "a"}, "Nil amount for a", ""},
		{[]string{"invoke", "a", "b", "10"}, errNotFound, ""},
	}
	for i, s := range steps {
		r := stub.MockInvoke(fmt.Sprintf("tx%d", i), byteArgs(s.args...))
		t.Run(strings.Join(s.args, " "), func(t *testing.T) { checkResponse(t, r, s.wantErr, s.payload) })
	}
}

// failingStub is a MockStub whose ledger calls fail, to check that ledger
// errors come back as chaincode errors.
type failingStub struct {
	*shimtest.MockStub
	args          []string
	get, put, del bool
}

func (s *failingStub) GetFunctionAndParameters() (string, []string) {
	if len(s.args) == 0 {
		return "", nil
	}
	return s.args[0], s.args[1:]
}

var errLedger = errors.New("ledger unavailable")

func (s *failingStub) GetState(key string) ([]byte, error) {
	if s.get {
		return nil, errLedger
	}
	return s.MockStub.GetState(key)
}

func (s *failingStub) PutState(key string, value []byte) error {
	if s.put {
		return errLedger
	}
	return s.MockStub.PutState(key, value)
}

func (s *failingStub) DelState(key string) error {
	if s.del {
		return errLedger
	}
	return s.MockStub.DelState(key)
}

func TestLedgerErrors(t *testing.T) {
	for _, tc := range []struct {
		name          string
		get, put, del bool
		init          bool
		args          []string
		wantErr       string
	}{
		{"init put fails", false, true, false, true, []string{"init", "a", "1", "b", "2"}, errLedger.Error()},
		{"move get fails", true, false, false, false, []string{"invoke", "a", "b", "1"}, errGetState},
		{"move put fails", false, true, false, false, []string{"invoke", "a", "b", "1"}, errLedger.Error()},
		{"query get fails", true, false, false, false, []string{"query", "a"}, `{"Error":"Failed to get state for a"}`},
		{"delete fails", false, false, true, false, []string{"delete", "a"}, errDeleteState},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mock := seeded(t)
			mock.MockTransactionStart("tx3")
			defer mock.MockTransactionEnd("tx3")
			stub := &failingStub{MockStub: mock, args: tc.args, get: tc.get, put: tc.put, del: tc.del}
			var r pb.Response
			if tc.init {
				r = new(Chaincode).Init(stub)
			} else {
				r = new(Chaincode).Invoke(stub)
			}
			checkResponse(t, r, tc.wantErr, "")
		})
	}
}

// TestNoPanics feeds random argument lists; every call must return a response.
func TestNoPanics(t *testing.T) {
	words := []string{"init", "invoke", "query", "delete", "a", "b", "", "1", "-1", "x", "99999999999999999999", "\x00"}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 2000; i++ {
		args := make([]string, rng.Intn(7))
		for j := range args {
			args[j] = words[rng.Intn(len(words))]
		}
		stub := seeded(t)
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("args %q: panic %v", args, p)
				}
			}()
			if r := stub.MockInvoke("tx", byteArgs(args...)); r.Status != shim.OK && r.Message == "" {
				t.Errorf("args %q: error without a message", args)
			}
			stub.MockInit("tx", byteArgs(args...))
		}()
	}
}

func TestNewServer(t *testing.T) {
	dir := t.TempDir()
	pem := filepath.Join(dir, "f.pem")
	if err := os.WriteFile(pem, []byte("pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		wantErr string
		tls     bool
		mtls    bool
	}{
		{"plain", map[string]string{"CHAINCODE_ID": "mycc:1"}, "", false, false},
		{"no id", map[string]string{}, "CHAINCODE_ID must be set", false, false},
		{"tls", map[string]string{"CHAINCODE_ID": "mycc:1", "CHAINCODE_TLS_CERT": pem, "CHAINCODE_TLS_KEY": pem}, "", true, false},
		{"mutual tls", map[string]string{"CHAINCODE_ID": "mycc:1", "CHAINCODE_TLS_CERT": pem, "CHAINCODE_TLS_KEY": pem, "CHAINCODE_CLIENT_CA_CERT": pem}, "", true, true},
		{"cert without key", map[string]string{"CHAINCODE_ID": "mycc:1", "CHAINCODE_TLS_CERT": pem}, "must be set together", false, false},
		{"missing file", map[string]string{"CHAINCODE_ID": "mycc:1", "CHAINCODE_TLS_CERT": pem, "CHAINCODE_TLS_KEY": pem + ".missing"}, "no such file", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := newServer("127.0.0.1:0", func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.CCID != "mycc:1" || s.Address != "127.0.0.1:0" || s.CC == nil {
				t.Errorf("server = %+v", s)
			}
			if s.TLSProps.Disabled == tc.tls || (len(s.TLSProps.ClientCACerts) > 0) != tc.mtls {
				t.Errorf("TLS props = %+v, want tls=%v mtls=%v", s.TLSProps, tc.tls, tc.mtls)
			}
		})
	}
}

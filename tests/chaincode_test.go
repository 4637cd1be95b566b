package tests

// Tests of the project's chaincode (chaincode/mycc, its own Go module) and of
// the external builder the peers run it with (roles/peer/files/builder).
//
// The builder is driven the way a Fabric v2.5 peer drives it: packages made
// by the real `peer` CLI, unpacked as core/container/externalbuilder does,
// scripts run with only the environment the peer passes on, and bin/run
// connected to a stand-in peer that speaks the chaincode shim protocol over
// mutual TLS.

import (
	"archive/tar"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/golang/protobuf/proto"
	pb "github.com/hyperledger/fabric-protos-go/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	grpcpeer "google.golang.org/grpc/peer"

	"github.com/fabrun/fabrun/internal/chaincode"
)

// chaincodeModule is the chaincode's module directory.
func chaincodeModule(t testing.TB) string {
	return filepath.Join(RepoRoot(t), "chaincode", "mycc")
}

// chaincodeBuilder is the external builder directory the peer role installs.
func chaincodeBuilder(t testing.TB) string {
	return filepath.Join(RepoRoot(t), "roles", "peer", "files", "builder")
}

// chaincodeGoTool is the absolute path of the go command running the tests.
func chaincodeGoTool(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	return mustExist(t, filepath.Join(strings.TrimSpace(string(out)), "bin", "go"), "install Go")
}

// chaincodeGoCache is the test process's Go build cache; sharing it keeps
// repeated builds of the chaincode's dependencies cheap.
func chaincodeGoCache(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		t.Fatalf("go env GOCACHE: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// chaincodeBuilderEnv is what a peer hands its builder: PATH and TMPDIR, and
// the variables the peer role lists in propagateEnvironment. Nothing else
// of the test's environment (GOFLAGS, GOPROXY, HOME, ...) leaks through.
func chaincodeBuilderEnv(t testing.TB, extra ...string) []string {
	t.Helper()
	chaincodePython(t)
	return append([]string{
		"PATH=" + chaincodeSystemPath,
		"TMPDIR=" + t.TempDir(),
		"FABRUN_GO=" + chaincodeGoTool(t),
		"GOCACHE=" + chaincodeGoCache(t),
	}, extra...)
}

// chaincodeSystemPath is the PATH the peer role gives the peer, minus Go:
// the builder finds Go through FABRUN_GO.
const chaincodeSystemPath = "/usr/local/bin:/usr/bin:/bin"

// chaincodePython fails the test unless python3, which the builder parses
// JSON with, is on chaincodeSystemPath.
func chaincodePython(t testing.TB) {
	t.Helper()
	for _, dir := range filepath.SplitList(chaincodeSystemPath) {
		if _, err := os.Stat(filepath.Join(dir, "python3")); err == nil {
			return
		}
	}
	t.Fatalf("the builder needs python3 in %s", chaincodeSystemPath)
}

// chaincodeRunBuilder runs one builder program with exactly env.
func chaincodeRunBuilder(t testing.TB, builder, program string, env []string, args ...string) CmdResult {
	t.Helper()
	cmd := exec.Command(filepath.Join(builder, "bin", program), args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return CmdResult{Stdout: out.String(), Stderr: errb.String(), Err: err}
}

// chaincodeContext is a build context laid out as the peer's
// NewBuildContext makes it: src/ (the code package unpacked), metadata/
// (metadata.json), bld/ and release/.
type chaincodeContext struct {
	Src, Metadata, Bld, Release string
}

func chaincodeNewContext(t testing.TB, metadata []byte) chaincodeContext {
	t.Helper()
	dir := t.TempDir()
	c := chaincodeContext{
		Src:      filepath.Join(dir, "src"),
		Metadata: filepath.Join(dir, "metadata"),
		Bld:      filepath.Join(dir, "bld"),
		Release:  filepath.Join(dir, "release"),
	}
	for _, d := range []string{c.Src, c.Metadata, c.Bld, c.Release} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(c.Metadata, "metadata.json"), metadata, 0o700); err != nil {
		t.Fatal(err)
	}
	return c
}

// chaincodeUntar unpacks a gzipped tar as the peer's externalbuilder.Untar does.
func chaincodeUntar(t testing.TB, r io.Reader, dst string) {
	t.Helper()
	walkTarGzReader(t, "code package", r, func(h *tar.Header, content io.Reader) {
		name := filepath.Join(dst, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(name, dst+string(os.PathSeparator)) {
			t.Fatalf("unsafe tar entry %q", h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(name, 0o700); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode)&0o777)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(f, content); err != nil {
				t.Fatal(err)
			}
			f.Close()
		default:
			t.Fatalf("tar entry %q: unexpected type %c", h.Name, h.Typeflag)
		}
	})
}

// chaincodeFabricConfig is Fabric's sampleconfig (core.yaml and a sample MSP),
// which the peer CLI needs even to package chaincode.
func chaincodeFabricConfig(t testing.TB) string {
	t.Helper()
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/hyperledger/fabric")
	cmd.Dir = filepath.Join(RepoRoot(t), "tools", "fabric")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("locating the pinned Fabric module: %v", err)
	}
	return mustExist(t, filepath.Join(strings.TrimSpace(string(out)), "sampleconfig"), "cd tools/fabric && go mod download")
}

// chaincodeLegacyPackage packages dir with `peer chaincode package` (what
// `peer chaincode install -p` sends) and returns the build context the peer's
// FallbackPackageLocator and NewBuildContext make of it.
func chaincodeLegacyPackage(t testing.TB, dir, name, version string) chaincodeContext {
	t.Helper()
	cds := filepath.Join(t.TempDir(), name+".cds")
	MustRun(t, t.TempDir(), []string{"FABRIC_CFG_PATH=" + chaincodeFabricConfig(t), "GOFLAGS=-mod=vendor"},
		FabricBin(t, "peer"), "chaincode", "package", "-n", name, "-v", version, "-p", dir, "-l", "golang", cds)
	raw, err := os.ReadFile(cds)
	if err != nil {
		t.Fatal(err)
	}
	spec := &pb.ChaincodeDeploymentSpec{}
	if err := proto.Unmarshal(raw, spec); err != nil {
		t.Fatalf("%s is not a ChaincodeDeploymentSpec: %v", cds, err)
	}
	md, err := json.Marshal(struct {
		Type  string `json:"type"`
		Path  string `json:"path"`
		Label string `json:"label"`
	}{spec.ChaincodeSpec.Type.String(), spec.ChaincodeSpec.ChaincodeId.Path, spec.ChaincodeSpec.ChaincodeId.Name})
	if err != nil {
		t.Fatal(err)
	}
	c := chaincodeNewContext(t, md)
	chaincodeUntar(t, bytes.NewReader(spec.CodePackage), c.Src)
	return c
}

// chaincodeLifecyclePackage packages dir with `peer lifecycle chaincode
// package` and returns the build context the peer makes of it.
func chaincodeLifecyclePackage(t testing.TB, dir, label string) chaincodeContext {
	t.Helper()
	cfg := t.TempDir()
	if err := os.WriteFile(filepath.Join(cfg, "core.yaml"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	pkg := filepath.Join(t.TempDir(), label+".tar.gz")
	MustRun(t, t.TempDir(), []string{"FABRIC_CFG_PATH=" + cfg, "GOFLAGS=-mod=vendor"},
		FabricBin(t, "peer"), "lifecycle", "chaincode", "package", pkg, "--path", dir, "--lang", "golang", "--label", label)
	files := readTarGz(t, pkg)
	if files["metadata.json"] == nil || files["code.tar.gz"] == nil {
		t.Fatalf("%s: want metadata.json and code.tar.gz, got %d files", pkg, len(files))
	}
	c := chaincodeNewContext(t, files["metadata.json"])
	chaincodeUntar(t, bytes.NewReader(files["code.tar.gz"]), c.Src)
	return c
}

func chaincodeWrite(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// chaincodeBuild runs detect, build and release on a context and fails the
// test unless all succeed.
func chaincodeBuild(t testing.TB, c chaincodeContext, env []string) {
	t.Helper()
	b := chaincodeBuilder(t)
	if r := chaincodeRunBuilder(t, b, "detect", env, c.Src, c.Metadata); r.Err != nil {
		t.Fatalf("detect: %v\n%s", r.Err, r.Stderr)
	}
	start := time.Now()
	if r := chaincodeRunBuilder(t, b, "build", env, c.Src, c.Metadata, c.Bld); r.Err != nil {
		t.Fatalf("build: %v\nstdout:\n%s\nstderr:\n%s", r.Err, r.Stdout, r.Stderr)
	}
	t.Logf("build took %s", time.Since(start).Round(time.Millisecond))
	if r := chaincodeRunBuilder(t, b, "release", env, c.Bld, c.Release); r.Err != nil {
		t.Fatalf("release: %v\n%s", r.Err, r.Stderr)
	}
	if st, err := os.Stat(filepath.Join(c.Bld, "chaincode")); err != nil || st.Mode()&0o111 == 0 {
		t.Fatalf("build left no executable bld/chaincode: %v", err)
	}
}

// chaincodeTLS is a CA with a server certificate for 127.0.0.1 (the stand-in
// peer's chaincode listener) and a client certificate for the chaincode, as
// the peer's chaincode TLS CA issues them.
type chaincodeTLS struct {
	CAPEM, ClientCertPEM, ClientKeyPEM []byte
	Server                             tls.Certificate
	Pool                               *x509.CertPool
}

func chaincodeNewTLS(t testing.TB) chaincodeTLS {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey := newKey()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "chaincode-tls-ca"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(serial int64, cn string, usage x509.ExtKeyUsage, ips []net.IP) ([]byte, []byte) {
		key := newKey()
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: cn},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			IPAddresses:  ips,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	}
	s := chaincodeTLS{CAPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), Pool: x509.NewCertPool()}
	s.Pool.AddCert(ca)
	serverCert, serverKey := issue(2, "peer0.org1.example.com", x509.ExtKeyUsageServerAuth, []net.IP{net.ParseIP("127.0.0.1")})
	if s.Server, err = tls.X509KeyPair(serverCert, serverKey); err != nil {
		t.Fatal(err)
	}
	s.ClientCertPEM, s.ClientKeyPEM = issue(3, "mycc-chaincode-client", x509.ExtKeyUsageClientAuth, nil)
	return s
}

// chaincodeFakePeer is a stand-in peer: a ChaincodeSupport gRPC service that
// accepts one chaincode registration, then plays transactions against an
// in-memory world state, answering the chaincode's GET/PUT/DEL_STATE calls.
type chaincodeFakePeer struct {
	pb.UnimplementedChaincodeSupportServer
	Addr   string
	server *grpc.Server
	script func(s *chaincodeSession) error
	done   chan error
	hold   chan struct{} // keeps the stream open until the test ends
}

// chaincodeSession is one registered chaincode's stream.
type chaincodeSession struct {
	stream     pb.ChaincodeSupport_RegisterServer
	Name       string // ChaincodeID.Name sent with REGISTER
	ClientCN   string // TLS client certificate's common name, "" without TLS
	State      map[string][]byte
	txCounter  int
	channelID  string
	recvTimout time.Duration
}

func chaincodeStartFakePeer(t testing.TB, creds *chaincodeTLS, script func(s *chaincodeSession) error) *chaincodeFakePeer {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var opts []grpc.ServerOption
	if creds != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(&tls.Config{
			Certificates: []tls.Certificate{creds.Server},
			ClientCAs:    creds.Pool,
			ClientAuth:   tls.RequireAndVerifyClientCert,
			MinVersion:   tls.VersionTLS12,
		})))
	}
	p := &chaincodeFakePeer{
		Addr:   lis.Addr().String(),
		server: grpc.NewServer(opts...),
		script: script,
		done:   make(chan error, 1),
		hold:   make(chan struct{}),
	}
	pb.RegisterChaincodeSupportServer(p.server, p)
	go p.server.Serve(lis)
	t.Cleanup(func() {
		close(p.hold)
		p.server.Stop()
	})
	return p
}

// Register serves the first chaincode that connects and reports the script's outcome.
func (p *chaincodeFakePeer) Register(stream pb.ChaincodeSupport_RegisterServer) error {
	s := &chaincodeSession{stream: stream, State: map[string][]byte{}, channelID: "mychannel", recvTimout: 30 * time.Second}
	err := s.register()
	if err == nil {
		err = p.script(s)
	}
	select {
	case p.done <- err:
	default:
	}
	<-p.hold
	return err
}

// Wait returns the script's outcome, or an error when no chaincode finished it in time.
func (p *chaincodeFakePeer) Wait(timeout time.Duration, exited <-chan error) error {
	select {
	case err := <-p.done:
		return err
	case err := <-exited:
		return fmt.Errorf("chaincode exited before finishing with the peer: %v", err)
	case <-time.After(timeout):
		return errors.New("no chaincode registered and finished in time")
	}
}

func (s *chaincodeSession) recv() (*pb.ChaincodeMessage, error) {
	type result struct {
		msg *pb.ChaincodeMessage
		err error
	}
	ch := make(chan result, 1)
	go func() {
		m, err := s.stream.Recv()
		ch <- result{m, err}
	}()
	select {
	case r := <-ch:
		return r.msg, r.err
	case <-time.After(s.recvTimout):
		return nil, errors.New("timed out waiting for the chaincode")
	}
}

func (s *chaincodeSession) register() error {
	msg, err := s.recv()
	if err != nil {
		return err
	}
	if msg.Type != pb.ChaincodeMessage_REGISTER {
		return fmt.Errorf("first message is %s, want REGISTER", msg.Type)
	}
	id := &pb.ChaincodeID{}
	if err := proto.Unmarshal(msg.Payload, id); err != nil {
		return err
	}
	s.Name = id.Name
	if p, ok := grpcpeer.FromContext(s.stream.Context()); ok {
		if info, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(info.State.PeerCertificates) > 0 {
			s.ClientCN = info.State.PeerCertificates[0].Subject.CommonName
		}
	}
	for _, typ := range []pb.ChaincodeMessage_Type{pb.ChaincodeMessage_REGISTERED, pb.ChaincodeMessage_READY} {
		if err := s.stream.Send(&pb.ChaincodeMessage{Type: typ}); err != nil {
			return err
		}
	}
	return nil
}

// Call sends INIT (init true) or TRANSACTION with args and serves the
// chaincode's state calls until it completes; it returns the chaincode's
// response, or an error for a chaincode ERROR message.
func (s *chaincodeSession) Call(init bool, args ...string) (*pb.Response, error) {
	s.txCounter++
	txid := fmt.Sprintf("tx%d", s.txCounter)
	input := &pb.ChaincodeInput{}
	for _, a := range args {
		input.Args = append(input.Args, []byte(a))
	}
	payload, err := proto.Marshal(input)
	if err != nil {
		return nil, err
	}
	typ := pb.ChaincodeMessage_TRANSACTION
	if init {
		typ = pb.ChaincodeMessage_INIT
	}
	if err := s.stream.Send(&pb.ChaincodeMessage{Type: typ, Txid: txid, ChannelId: s.channelID, Payload: payload}); err != nil {
		return nil, err
	}
	for {
		msg, err := s.recv()
		if err != nil {
			return nil, err
		}
		if msg.Txid != txid {
			return nil, fmt.Errorf("message %s for tx %q during %q", msg.Type, msg.Txid, txid)
		}
		reply := &pb.ChaincodeMessage{Type: pb.ChaincodeMessage_RESPONSE, Txid: txid, ChannelId: s.channelID}
		switch msg.Type {
		case pb.ChaincodeMessage_GET_STATE:
			req := &pb.GetState{}
			if err := proto.Unmarshal(msg.Payload, req); err != nil {
				return nil, err
			}
			reply.Payload = s.State[req.Key]
		case pb.ChaincodeMessage_PUT_STATE:
			req := &pb.PutState{}
			if err := proto.Unmarshal(msg.Payload, req); err != nil {
				return nil, err
			}
			s.State[req.Key] = req.Value
		case pb.ChaincodeMessage_DEL_STATE:
			req := &pb.DelState{}
			if err := proto.Unmarshal(msg.Payload, req); err != nil {
				return nil, err
			}
			delete(s.State, req.Key)
		case pb.ChaincodeMessage_COMPLETED:
			resp := &pb.Response{}
			if err := proto.Unmarshal(msg.Payload, resp); err != nil {
				return nil, err
			}
			return resp, nil
		case pb.ChaincodeMessage_ERROR:
			return nil, fmt.Errorf("chaincode error: %s", msg.Payload)
		default:
			return nil, fmt.Errorf("unexpected %s from chaincode", msg.Type)
		}
		if err := s.stream.Send(reply); err != nil {
			return nil, err
		}
	}
}

// chaincodeSeedScript plays the seed guide's sequence: instantiate with
// init a 100 b 200, query a (100), move 10 from a to b, query b (210), then
// the error cases a client sees.
func chaincodeSeedScript(wantName, wantCN string) func(s *chaincodeSession) error {
	return func(s *chaincodeSession) error {
		if s.Name != wantName {
			return fmt.Errorf("chaincode registered as %q, want %q", s.Name, wantName)
		}
		if s.ClientCN != wantCN {
			return fmt.Errorf("chaincode's TLS client certificate CN %q, want %q", s.ClientCN, wantCN)
		}
		steps := []struct {
			init    bool
			args    []string
			status  int32
			payload string
			message string
		}{
			{true, []string{"init", "a", "100", "b", "200"}, 200, "", ""},
			{false, []string{"query", "a"}, 200, "100", ""},
			{false, []string{"invoke", "a", "b", "10"}, 200, "", ""},
			{false, []string{"query", "b"}, 200, "210", ""},
			{false, []string{"query", "a"}, 200, "90", ""},
			{false, []string{"invoke", "a", "b", "ten"}, 500, "", "Invalid transaction amount, expecting a integer value"},
			{false, []string{"transfer", "a", "b", "1"}, 500, "", `Invalid invoke function name. Expecting "invoke" "delete" "query"`},
			{false, []string{"delete", "a"}, 200, "", ""},
			{false, []string{"query", "a"}, 500, "", `{"Error":"Nil amount for a"}`},
		}
		for _, st := range steps {
			resp, err := s.Call(st.init, st.args...)
			if err != nil {
				return fmt.Errorf("%v: %w", st.args, err)
			}
			if resp.Status != st.status || string(resp.Payload) != st.payload || resp.Message != st.message {
				return fmt.Errorf("%v: got status %d payload %q message %q, want %d %q %q",
					st.args, resp.Status, resp.Payload, resp.Message, st.status, st.payload, st.message)
			}
		}
		if fmt.Sprint(s.State) != fmt.Sprint(map[string][]byte{"b": []byte("210")}) {
			return fmt.Errorf("world state %q, want only b=210", s.State)
		}
		return nil
	}
}

// chaincodeRunMetadata writes chaincode.json into a fresh 0700 directory, as
// the peer's Builder.Run does.
func chaincodeRunMetadata(t testing.TB, rc map[string]string) string {
	t.Helper()
	dir, err := os.MkdirTemp(t.TempDir(), "fabric-run")
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(rc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "chaincode.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// chaincodeLaunch starts bin/run as the peer does and returns the process and
// a channel that yields its exit. The process is killed at cleanup.
func chaincodeLaunch(t testing.TB, bld, runMD string, env []string) (*exec.Cmd, *bytes.Buffer, <-chan error) {
	t.Helper()
	cmd := exec.Command(filepath.Join(chaincodeBuilder(t), "bin", "run"), bld, runMD)
	cmd.Env = env
	stderr := &bytes.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1) // yields the exit once, then reads as closed
	go func() {
		exited <- cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	return cmd, stderr, exited
}

// chaincodeStop sends SIGTERM, as the peer does to stop chaincode, and
// checks the chaincode goes within the peer's 5s grace period.
func chaincodeStop(t testing.TB, cmd *exec.Cmd, exited <-chan error) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Fatal("chaincode still running 5s after SIGTERM")
	}
}

// TestChaincodeUnitTests runs the chaincode module's own tests (the module is
// outside the root module, so `go test ./...` does not reach it) offline
// against its vendor directory, and vets it.
func TestChaincodeUnitTests(t *testing.T) {
	tier(t, "module")
	env := []string{"GOFLAGS=-mod=vendor", "GOPROXY=off", "GOTOOLCHAIN=local", "GOWORK=off"}
	r := MustRun(t, chaincodeModule(t), env, "go", "test", "-count=1", "-cover", "./...")
	t.Log(strings.TrimSpace(r.Stdout))
	MustRun(t, chaincodeModule(t), env, "go", "vet", "./...")
	// The vendor directory must match go.mod exactly (go build checks
	// modules.txt) and hold every package the chaincode imports.
	r = MustRun(t, chaincodeModule(t), env, "go", "list", "-deps", "-test", "-f", "{{if not .Standard}}{{.ImportPath}} {{.Dir}}{{end}}", "./...")
	for _, line := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && !strings.HasPrefix(f[0], "github.com/fabrun/fabrun/chaincode/mycc") &&
			!strings.HasPrefix(f[1], filepath.Join(chaincodeModule(t), "vendor")+string(os.PathSeparator)) {
			t.Errorf("%s is not vendored (%s)", f[0], f[1])
		}
	}
}

func TestChaincodeBuilderDetect(t *testing.T) {
	tier(t, "module")
	builder := chaincodeBuilder(t)
	env := chaincodeBuilderEnv(t)
	for _, tc := range []struct {
		name     string
		metadata string // "" writes no metadata.json
		ok       bool
	}{
		{"new lifecycle golang", `{"type":"golang","path":"github.com/x/cc","label":"cc_1"}`, true},
		{"legacy install GOLANG", `{"type":"GOLANG","path":"github.com/x/cc","label":"cc"}`, true},
		{"mixed case", `{"type":"GoLang","path":"x"}`, true},
		{"node", `{"type":"node","path":"x"}`, false},
		{"java", `{"type":"JAVA","path":"x"}`, false},
		{"chaincode as a service", `{"type":"ccaas","label":"x"}`, false},
		{"no type", `{"path":"x"}`, false},
		{"type not a string", `{"type":1}`, false},
		{"not json", `golang`, false},
		{"json array", `["golang"]`, false},
		{"no metadata.json", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := chaincodeNewContext(t, []byte(tc.metadata))
			if tc.metadata == "" {
				os.Remove(filepath.Join(c.Metadata, "metadata.json"))
			}
			r := chaincodeRunBuilder(t, builder, "detect", env, c.Src, c.Metadata)
			if (r.Err == nil) != tc.ok {
				t.Errorf("detect: err %v, want ok=%v\n%s", r.Err, tc.ok, r.Stderr)
			}
		})
	}
	if r := chaincodeRunBuilder(t, builder, "detect", env, "only-one-arg"); r.Err == nil || !strings.Contains(r.Stderr, "usage") {
		t.Errorf("detect with one argument: %v %s", r.Err, r.Stderr)
	}
}

// TestChaincodeBuilderLegacyInstall follows the seed: the chaincode packaged
// as `peer chaincode install -n mycc -v 1.0 -p <dir>` sends it, built offline
// by the builder with only the peer's environment, then run by bin/run
// against a stand-in peer over mutual TLS, serving the guide's transactions.
func TestChaincodeBuilderLegacyInstall(t *testing.T) {
	tier(t, "module")
	c := chaincodeLegacyPackage(t, chaincodeModule(t), "mycc", "1.0")
	md, _ := os.ReadFile(filepath.Join(c.Metadata, "metadata.json"))
	if string(md) != `{"type":"GOLANG","path":"github.com/fabrun/fabrun/chaincode/mycc","label":"mycc"}` {
		t.Errorf("legacy metadata.json = %s", md)
	}
	for _, f := range []string{"src/go.mod", "src/mycc.go", "src/vendor/modules.txt"} {
		mustExist(t, filepath.Join(c.Src, f), "peer chaincode package")
	}
	chaincodeBuild(t, c, chaincodeBuilderEnv(t))

	creds := chaincodeNewTLS(t)
	fake := chaincodeStartFakePeer(t, &creds, chaincodeSeedScript("mycc:1.0", "mycc-chaincode-client"))
	runMD := chaincodeRunMetadata(t, map[string]string{
		"chaincode_id": "mycc:1.0",
		"peer_address": fake.Addr,
		"client_cert":  string(creds.ClientCertPEM),
		"client_key":   string(creds.ClientKeyPEM),
		"root_cert":    string(creds.CAPEM),
		"mspid":        "Org1MSP",
	})
	cmd, stderr, exited := chaincodeLaunch(t, c.Bld, runMD, chaincodeBuilderEnv(t))
	if err := fake.Wait(60*time.Second, exited); err != nil {
		t.Fatalf("%v\nrun stderr:\n%s", err, stderr)
	}
	// bin/run must have exec'd the chaincode: the peer's process is the chaincode.
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", cmd.Process.Pid))
	if err != nil || exe != filepath.Join(c.Bld, "chaincode") {
		t.Errorf("the peer's child runs %q (%v), want the chaincode binary itself", exe, err)
	}
	chaincodeStop(t, cmd, exited)
}

// TestChaincodeBuilderPrebuilt is the production path: mycc compiled once on
// the controller (static, vendored), shipped inside the legacy code package
// by fabric_chaincode's `binary` option, and installed by the builder on a
// peer that has no Go toolchain; the chaincode then serves the guide's
// transactions.
func TestChaincodeBuilderPrebuilt(t *testing.T) {
	tier(t, "module")
	bin := filepath.Join(t.TempDir(), "mycc")
	MustRun(t, chaincodeModule(t), []string{"CGO_ENABLED=0", "GOFLAGS=-mod=vendor", "GOPROXY=off", "GOTOOLCHAIN=local", "GOWORK=off"},
		"go", "build", "-trimpath", "-o", bin, ".")
	pkg, err := chaincode.PackageGo(chaincodeModule(t), "mycc_1.0")
	if err != nil {
		t.Fatal(err)
	}
	if err := pkg.AddPrebuilt(bin); err != nil {
		t.Fatal(err)
	}
	md, _ := json.Marshal(map[string]string{"type": "GOLANG", "path": pkg.Path, "label": "mycc"})
	c := chaincodeNewContext(t, md)
	chaincodeUntar(t, bytes.NewReader(pkg.Code), c.Src)
	// No toolchain anywhere: FABRUN_GO points nowhere and PATH has no go.
	env := []string{"PATH=" + chaincodeSystemPath, "TMPDIR=" + t.TempDir(), "FABRUN_GO=/nonexistent/go"}
	chaincodeBuild(t, c, env)
	want, _ := os.ReadFile(bin)
	if got, err := os.ReadFile(filepath.Join(c.Bld, "chaincode")); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("bld/chaincode is not the prebuilt binary (%v)", err)
	}

	fake := chaincodeStartFakePeer(t, nil, chaincodeSeedScript("mycc:1.0", ""))
	runMD := chaincodeRunMetadata(t, map[string]string{"chaincode_id": "mycc:1.0", "peer_address": fake.Addr, "mspid": "Org1MSP"})
	cmd, stderr, exited := chaincodeLaunch(t, c.Bld, runMD, env)
	if err := fake.Wait(60*time.Second, exited); err != nil {
		t.Fatalf("%v\nrun stderr:\n%s", err, stderr)
	}
	chaincodeStop(t, cmd, exited)
}

// TestChaincodeBuilderLifecyclePackage builds a `peer lifecycle chaincode
// package` of the same chaincode and runs it without TLS (a peer whose
// chaincode listener has TLS off sends no certificates).
func TestChaincodeBuilderLifecyclePackage(t *testing.T) {
	tier(t, "module")
	c := chaincodeLifecyclePackage(t, chaincodeModule(t), "mycc_1.0")
	chaincodeBuild(t, c, chaincodeBuilderEnv(t))
	ccid := "mycc_1.0:0123456789abcdef"
	fake := chaincodeStartFakePeer(t, nil, chaincodeSeedScript(ccid, ""))
	runMD := chaincodeRunMetadata(t, map[string]string{"chaincode_id": ccid, "peer_address": fake.Addr, "mspid": "Org2MSP"})
	cmd, stderr, exited := chaincodeLaunch(t, c.Bld, runMD, chaincodeBuilderEnv(t))
	if err := fake.Wait(60*time.Second, exited); err != nil {
		t.Fatalf("%v\nrun stderr:\n%s", err, stderr)
	}
	chaincodeStop(t, cmd, exited)
}

// TestChaincodeBuilderLayouts builds the other source layouts Fabric's golang
// platform produces (GOPATH chaincode, a module below src/<path>) and hands
// META-INF/statedb to the peer through release.
func TestChaincodeBuilderLayouts(t *testing.T) {
	tier(t, "module")
	const hello = "package main\n\nimport \"os\"\n\nfunc main() { os.Stdout.WriteString(\"hello from chaincode\\n\") }\n"
	for _, tc := range []struct {
		name  string
		path  string
		files map[string]string
	}{
		{"GOPATH chaincode", "example.com/hello", map[string]string{
			"src/example.com/hello/main.go":                         "package main\n\nimport (\n\t\"os\"\n\n\t\"example.com/greeting\"\n)\n\nfunc main() { os.Stdout.WriteString(greeting.Text) }\n",
			"src/example.com/greeting/greeting.go":                  "package greeting\n\nconst Text = \"hello from chaincode\\n\"\n",
			"META-INF/statedb/couchdb/indexes/indexOwner.json":      `{"index":{"fields":["owner"]},"name":"indexOwner","type":"json"}`,
			"META-INF/statedb/couchdb/collections/c/indexes/i.json": `{"index":{"fields":["x"]},"name":"i","type":"json"}`,
		}},
		{"module under src/<path>", "example.com/hello/cmd", map[string]string{
			"src/example.com/hello/cmd/go.mod":  "module example.com/hello/cmd\n\ngo 1.20\n",
			"src/example.com/hello/cmd/main.go": hello,
		}},
		{"module at the package root", "", map[string]string{
			"go.mod":  "module example.com/hello\n\ngo 1.20\n",
			"main.go": hello,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := chaincodeNewContext(t, []byte(fmt.Sprintf(`{"type":"golang","path":%q,"label":"hello"}`, tc.path)))
			for name, content := range tc.files {
				chaincodeWrite(t, filepath.Join(c.Src, name), content)
			}
			chaincodeBuild(t, c, chaincodeBuilderEnv(t))
			out, err := exec.Command(filepath.Join(c.Bld, "chaincode")).Output()
			if err != nil || string(out) != "hello from chaincode\n" {
				t.Errorf("built binary: %q, %v", out, err)
			}
			for name, content := range tc.files {
				if rel, ok := strings.CutPrefix(name, "META-INF/"); ok {
					got, err := os.ReadFile(filepath.Join(c.Release, rel))
					if err != nil || string(got) != content {
						t.Errorf("release/%s = %q, %v; want the package's %s", rel, got, err, name)
					}
				}
			}
		})
	}
}

// TestChaincodeBuilderBuildFailures checks that a failed build exits non-zero
// with the reason (the compiler's own output for bad code) on stderr, which
// is what the peer logs.
func TestChaincodeBuilderBuildFailures(t *testing.T) {
	tier(t, "module")
	mycc := `{"type":"golang","path":"github.com/fabrun/fabrun/chaincode/mycc","label":"mycc"}`
	for _, tc := range []struct {
		name     string
		metadata string
		setup    func(t *testing.T, src string)
		env      []string
		want     []string
	}{
		{
			name:     "compile error",
			metadata: mycc,
			setup: func(t *testing.T, src string) {
				copyTree(t, chaincodeModule(t), filepath.Join(src, "src"))
				p := filepath.Join(src, "src", "mycc.go")
				code, _ := os.ReadFile(p)
				broken := strings.Replace(string(code), "return shim.Success(nil)\n}", "return shim.Success(nil, undefinedThing)\n}", 1)
				chaincodeWrite(t, p, broken)
			},
			want: []string{"mycc.go:", "undefinedThing", "go build of github.com/fabrun/fabrun/chaincode/mycc failed"},
		},
		{
			name:     "module without vendor, offline",
			metadata: mycc,
			setup: func(t *testing.T, src string) {
				for _, f := range []string{"go.mod", "go.sum", "main.go", "mycc.go"} {
					data, _ := os.ReadFile(filepath.Join(chaincodeModule(t), f))
					chaincodeWrite(t, filepath.Join(src, "src", f), string(data))
				}
			},
			want: []string{"GOPROXY=off", "run 'go mod vendor' before packaging"},
		},
		{
			name:     "no source for the path",
			metadata: `{"type":"golang","path":"example.com/missing"}`,
			setup:    func(t *testing.T, src string) {},
			want:     []string{"no Go source for 'example.com/missing'"},
		},
		{
			name:     "path escaping the package",
			metadata: `{"type":"golang","path":"../../etc"}`,
			setup:    func(t *testing.T, src string) {},
			want:     []string{"unsafe path"},
		},
		{
			name:     "absolute path",
			metadata: `{"type":"golang","path":"/etc"}`,
			setup:    func(t *testing.T, src string) {},
			want:     []string{"unsafe path"},
		},
		{
			name:     "not golang",
			metadata: `{"type":"node","path":"x"}`,
			setup:    func(t *testing.T, src string) {},
			want:     []string{"not golang"},
		},
		{
			name:     "no go toolchain",
			metadata: mycc,
			setup:    func(t *testing.T, src string) {},
			env:      []string{"FABRUN_GO=/nonexistent/go"},
			want:     []string{"go toolchain '/nonexistent/go' not found"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := chaincodeNewContext(t, []byte(tc.metadata))
			tc.setup(t, c.Src)
			env := chaincodeBuilderEnv(t)
			env = append(env, tc.env...) // later entries win
			r := chaincodeRunBuilder(t, chaincodeBuilder(t), "build", env, c.Src, c.Metadata, c.Bld)
			if r.Err == nil {
				t.Fatalf("build succeeded, want failure\n%s", r.Stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.Stderr)
				}
			}
			if r.Stdout != "" {
				t.Errorf("stdout %q: the peer only reads stderr", r.Stdout)
			}
			if _, err := os.Stat(filepath.Join(c.Bld, "chaincode")); err == nil {
				t.Error("a failed build left bld/chaincode")
			}
		})
	}
}

// chaincodeDumpScript stands in for a built chaincode: it records its pid,
// arguments, environment and the TLS files bin/run wrote, then waits for
// a signal.
const chaincodeDumpScript = `#!/bin/sh
{
  echo "pid=$$"
  for a in "$@"; do echo "arg=$a"; done
  env | sed 's/^/env:/'
  for v in CORE_TLS_CLIENT_CERT_FILE CORE_TLS_CLIENT_KEY_FILE CORE_TLS_CLIENT_CERT_PATH CORE_TLS_CLIENT_KEY_PATH CORE_PEER_TLS_ROOTCERT_FILE; do
    eval f=\$$v
    [ -n "$f" ] && echo "file:$v=$(base64 -w0 < "$f")" && echo "mode:$v=$(stat -c %a "$f")"
  done
} > "$CHAINCODE_DUMP.tmp"
mv "$CHAINCODE_DUMP.tmp" "$CHAINCODE_DUMP"
exec sleep 60
`

// TestChaincodeBuilderRunEnvironment checks what bin/run hands the chaincode,
// with and without TLS, and that it execs it.
func TestChaincodeBuilderRunEnvironment(t *testing.T) {
	tier(t, "module")
	creds := chaincodeNewTLS(t)
	for _, tc := range []struct {
		name string
		rc   map[string]string
		env  map[string]string
	}{
		{
			name: "tls",
			rc: map[string]string{"chaincode_id": "mycc:1.0", "peer_address": "127.0.194.211:7052", "mspid": "Org1MSP",
				"client_cert": string(creds.ClientCertPEM), "client_key": string(creds.ClientKeyPEM), "root_cert": string(creds.CAPEM)},
			env: map[string]string{"CORE_CHAINCODE_ID_NAME": "mycc:1.0", "CORE_PEER_ADDRESS": "127.0.194.211:7052",
				"CORE_PEER_LOCALMSPID": "Org1MSP", "CORE_PEER_TLS_ENABLED": "true"},
		},
		{
			name: "no tls",
			rc:   map[string]string{"chaincode_id": "mycc_1:abc", "peer_address": "127.0.0.1:7052", "mspid": "Org2MSP"},
			env: map[string]string{"CORE_CHAINCODE_ID_NAME": "mycc_1:abc", "CORE_PEER_ADDRESS": "127.0.0.1:7052",
				"CORE_PEER_LOCALMSPID": "Org2MSP", "CORE_PEER_TLS_ENABLED": "false"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bld := t.TempDir()
			chaincodeWrite(t, filepath.Join(bld, "chaincode"), chaincodeDumpScript)
			os.Chmod(filepath.Join(bld, "chaincode"), 0o755)
			dump := filepath.Join(t.TempDir(), "dump")
			runMD := chaincodeRunMetadata(t, tc.rc)
			cmd, stderr, exited := chaincodeLaunch(t, bld, runMD, chaincodeBuilderEnv(t, "CHAINCODE_DUMP="+dump))
			deadline := time.Now().Add(20 * time.Second)
			var data []byte
			for {
				var err error
				if data, err = os.ReadFile(dump); err == nil {
					break
				}
				select {
				case err := <-exited:
					t.Fatalf("run exited early: %v\n%s", err, stderr)
				default:
				}
				if time.Now().After(deadline) {
					t.Fatalf("the chaincode never started\n%s", stderr)
				}
				time.Sleep(50 * time.Millisecond)
			}
			got := map[string]string{}
			var args []string
			for _, line := range strings.Split(string(data), "\n") {
				if a, ok := strings.CutPrefix(line, "arg="); ok {
					args = append(args, a)
				} else if k, v, ok := strings.Cut(line, "="); ok {
					got[k] = v
				}
			}
			if got["pid"] != strconv.Itoa(cmd.Process.Pid) {
				t.Errorf("chaincode pid %s, run's pid %d: run must exec the chaincode", got["pid"], cmd.Process.Pid)
			}
			if want := []string{"-peer.address=" + tc.rc["peer_address"]}; fmt.Sprint(args) != fmt.Sprint(want) {
				t.Errorf("args %q, want %q", args, want)
			}
			for k, v := range tc.env {
				if got["env:"+k] != v {
					t.Errorf("%s=%q, want %q", k, got["env:"+k], v)
				}
			}
			tlsVars := []string{"CORE_TLS_CLIENT_CERT_FILE", "CORE_TLS_CLIENT_KEY_FILE", "CORE_TLS_CLIENT_CERT_PATH", "CORE_TLS_CLIENT_KEY_PATH", "CORE_PEER_TLS_ROOTCERT_FILE"}
			if tc.rc["client_cert"] == "" {
				for _, v := range tlsVars {
					if _, set := got["env:"+v]; set {
						t.Errorf("%s set without TLS", v)
					}
				}
				return
			}
			b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
			want := map[string]string{
				"CORE_TLS_CLIENT_CERT_FILE":   b64(tc.rc["client_cert"]),
				"CORE_TLS_CLIENT_KEY_FILE":    b64(tc.rc["client_key"]),
				"CORE_TLS_CLIENT_CERT_PATH":   b64(b64(tc.rc["client_cert"])), // base64 content, as older shims expect
				"CORE_TLS_CLIENT_KEY_PATH":    b64(b64(tc.rc["client_key"])),
				"CORE_PEER_TLS_ROOTCERT_FILE": b64(tc.rc["root_cert"]),
			}
			for _, v := range tlsVars {
				if got["file:"+v] != want[v] {
					t.Errorf("%s file content wrong", v)
				}
				if got["mode:"+v] != "600" {
					t.Errorf("%s file mode %s, want 600", v, got["mode:"+v])
				}
				if !strings.HasPrefix(got["env:"+v], runMD+"/") {
					t.Errorf("%s=%s, want a file in the run metadata dir %s", v, got["env:"+v], runMD)
				}
			}
			chaincodeStop(t, cmd, exited)
		})
	}
}

func TestChaincodeBuilderRunErrors(t *testing.T) {
	tier(t, "module")
	bld := t.TempDir()
	chaincodeWrite(t, filepath.Join(bld, "chaincode"), "#!/bin/sh\necho started >&2\n")
	os.Chmod(filepath.Join(bld, "chaincode"), 0o755)
	full := map[string]string{"chaincode_id": "mycc:1.0", "peer_address": "127.0.0.1:7052", "mspid": "Org1MSP"}
	for _, tc := range []struct {
		name string
		bld  string
		md   func(t *testing.T) string
		want string
	}{
		{"no binary", t.TempDir(), func(t *testing.T) string { return chaincodeRunMetadata(t, full) }, "chaincode is missing"},
		{"no chaincode.json", bld, func(t *testing.T) string { return t.TempDir() }, "chaincode.json is missing"},
		{"malformed chaincode.json", bld, func(t *testing.T) string {
			d := t.TempDir()
			chaincodeWrite(t, filepath.Join(d, "chaincode.json"), "{not json")
			return d
		}, "cannot read chaincode.json"},
		{"no peer address", bld, func(t *testing.T) string {
			return chaincodeRunMetadata(t, map[string]string{"chaincode_id": "mycc:1.0"})
		}, "chaincode_id and peer_address are required"},
		{"partial tls", bld, func(t *testing.T) string {
			return chaincodeRunMetadata(t, map[string]string{"chaincode_id": "mycc:1.0", "peer_address": "127.0.0.1:1", "client_cert": "x"})
		}, "must come together"},
		{"newline in id", bld, func(t *testing.T) string {
			return chaincodeRunMetadata(t, map[string]string{"chaincode_id": "mycc\nx", "peer_address": "127.0.0.1:1"})
		}, "bad chaincode_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := chaincodeRunBuilder(t, chaincodeBuilder(t), "run", chaincodeBuilderEnv(t), tc.bld, tc.md(t))
			if r.Err == nil || !strings.Contains(r.Stderr, tc.want) {
				t.Errorf("run: err %v, stderr %q; want failure with %q", r.Err, r.Stderr, tc.want)
			}
			if strings.Contains(r.Stderr, "started") {
				t.Error("the chaincode was started despite the error")
			}
		})
	}
}

// TestChaincodeBuilderConfigFile checks builder.env next to bin/ supplies
// settings the peer's environment does not, and that the environment wins.
func TestChaincodeBuilderConfigFile(t *testing.T) {
	tier(t, "module")
	builder := filepath.Join(t.TempDir(), "golang")
	copyTree(t, chaincodeBuilder(t), builder)
	goTool := chaincodeGoTool(t)
	chaincodeWrite(t, filepath.Join(builder, "builder.env"),
		"# written by the deployer\nFABRUN_GO="+goTool+"\nFABRUN_GOCACHE="+chaincodeGoCache(t)+"\nSOMETHING=else\n")
	c := chaincodeNewContext(t, []byte(`{"type":"golang","path":"","label":"hello"}`))
	chaincodeWrite(t, filepath.Join(c.Src, "go.mod"), "module example.com/hello\n\ngo 1.20\n")
	chaincodeWrite(t, filepath.Join(c.Src, "main.go"), "package main\n\nfunc main() {}\n")

	// No FABRUN_GO nor GOCACHE from the peer, and no go on PATH: builder.env supplies them.
	chaincodePython(t)
	env := []string{"PATH=" + chaincodeSystemPath, "TMPDIR=" + t.TempDir()}
	for _, dir := range filepath.SplitList(chaincodeSystemPath) {
		if _, err := os.Stat(filepath.Join(dir, "go")); err == nil {
			t.Fatalf("%s/go exists; this test needs a PATH without go", dir)
		}
	}
	r := chaincodeRunBuilder(t, builder, "build", env, c.Src, c.Metadata, c.Bld)
	if r.Err != nil {
		t.Fatalf("build with builder.env: %v\n%s", r.Err, r.Stderr)
	}
	if !strings.Contains(r.Stderr, "ignoring unknown key 'SOMETHING'") {
		t.Errorf("unknown key not reported:\n%s", r.Stderr)
	}
	// The peer's environment wins over the file.
	r = chaincodeRunBuilder(t, builder, "build", append(env, "FABRUN_GO=/nonexistent/go"), c.Src, c.Metadata, t.TempDir())
	if r.Err == nil || !strings.Contains(r.Stderr, "'/nonexistent/go' not found") {
		t.Errorf("FABRUN_GO from the environment did not win: %v\n%s", r.Err, r.Stderr)
	}
}

// TestChaincodeOnRealPeer is the seed's legacy-lifecycle sequence on a real
// v2.5.9 peer (the fabnet test network: solo orderer, one org, TLS) whose
// only chaincode runtime is this builder, configured as the peer role does:
// install -p chaincode/mycc, instantiate with init a 100 b 200, query a
// (100), invoke a b 10, query b (210). A missing account is a chaincode error.
func TestChaincodeOnRealPeer(t *testing.T) {
	tier(t, "network")
	n := fabnetStart(t, fabnetOptions{
		Orgs:         1,
		Builders:     []string{chaincodeBuilder(t)},
		PropagateEnv: []string{"PATH", "HOME", "GOROOT", "GOCACHE", "FABRUN_GO"},
		ExtraPeerEnv: []string{
			"PATH=" + chaincodeSystemPath,
			"FABRUN_GO=" + chaincodeGoTool(t),
			"GOCACHE=" + chaincodeGoCache(t),
		},
	})
	p := n.Orgs[0].Peers[0]
	peerCLI := func(args ...string) string {
		t.Helper()
		r := n.PeerCLI(p, args...)
		if r.Err != nil {
			t.Fatalf("peer %s: %v\n%s%s\npeer log:\n%s", strings.Join(args, " "), r.Err, r.Stdout, r.Stderr, p.Logs(40))
		}
		return strings.TrimSpace(r.Stdout)
	}
	orderer := []string{"-o", n.Orderer.Addr, "--tls", "--cafile", n.Orderer.TLSCA}
	block := filepath.Join(n.Dir, n.ChannelID+".block")
	peerCLI(append([]string{"channel", "create", "-c", n.ChannelID, "-f", n.ChannelTx, "--outputBlock", block}, orderer...)...)
	peerCLI("channel", "join", "-b", block)
	peerCLI("chaincode", "install", "-n", "mycc", "-v", "1.0", "-p", chaincodeModule(t))
	peerCLI(append([]string{"chaincode", "instantiate", "-C", n.ChannelID, "-n", "mycc", "-v", "1.0",
		"-c", `{"Args":["init","a","100","b","200"]}`, "-P", "OR ('Org1MSP.peer')"}, orderer...)...)

	query := func(account string) CmdResult {
		return n.PeerCLI(p, "chaincode", "query", "-C", n.ChannelID, "-n", "mycc", "-c", `{"Args":["query","`+account+`"]}`)
	}
	// instantiate returns before its block commits: wait for the definition.
	deadline := time.Now().Add(60 * time.Second)
	r := query("a")
	for r.Err != nil && strings.Contains(r.Stderr, "not found") && time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
		r = query("a")
	}
	if r.Err != nil || strings.TrimSpace(r.Stdout) != "100" {
		t.Fatalf("query a: %q %v %s\npeer log:\n%s", r.Stdout, r.Err, r.Stderr, p.Logs(40))
	}
	peerCLI(append([]string{"chaincode", "invoke", "-C", n.ChannelID, "-n", "mycc", "-c", `{"Args":["invoke","a","b","10"]}`, "--waitForEvent"}, orderer...)...)
	if r := query("b"); r.Err != nil || strings.TrimSpace(r.Stdout) != "210" {
		t.Errorf("query b after moving 10: %q %v %s", r.Stdout, r.Err, r.Stderr)
	}
	if r := query("zz"); r.Err == nil || !strings.Contains(r.Stderr, `Nil amount for zz`) {
		t.Errorf("query of a missing account: %q %v %s", r.Stdout, r.Err, r.Stderr)
	}
	if logs := p.Logs(100000); !strings.Contains(logs, "fabrun golang builder: built") {
		t.Errorf("the peer's log does not show this builder building mycc")
	}
}

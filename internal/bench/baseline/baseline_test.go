package baseline

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeTools writes cryptogen, configtxgen and peer stand-ins that log their
// arguments; peer refuses the channel create twice (as an orderer whose
// Kafka chain is still starting does) and answers queries as mycc would.
func fakeTools(t *testing.T) (bin, calls string) {
	t.Helper()
	bin = t.TempDir()
	calls = filepath.Join(bin, "calls")
	for name, body := range map[string]string{
		"cryptogen":   `echo "cryptogen $*" >> ` + calls,
		"configtxgen": `echo "configtxgen $*" >> ` + calls,
		"peer": `echo "peer $CORE_PEER_ADDRESS $*" >> ` + calls + `
case "$1 $2" in
"channel create")
  n=$(cat ` + bin + `/creates 2>/dev/null || echo 0); echo $((n+1)) > ` + bin + `/creates
  [ "$n" -ge 2 ] || { echo "SERVICE_UNAVAILABLE" >&2; exit 1; } ;;
"chaincode query")
  case "$*" in *'"a"'*) echo 100 ;; *) echo 210 ;; esac ;;
esac`,
	} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return bin, calls
}

// listener is a service command that listens on a free loopback port and
// writes its PID to pidFile.
func listener(t *testing.T, pidFile string) (command, addr string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	return fmt.Sprintf(`python3 -c 'import os,socket,time; open(%q,"w").write(str(os.getpid())); s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", %s)); s.listen(); time.sleep(600)'`,
		pidFile, port), addr
}

func plan(t *testing.T, bin string, svc Service) Plan {
	dir := t.TempDir()
	peers := []Peer{{Name: "peer0.org1", MSPID: "Org1MSP", Address: "p0:7051"}, {Name: "peer1.org1", MSPID: "Org1MSP", Address: "p1:7051"}}
	return Plan{
		Bin: bin, Workdir: dir, GenesisProfile: "G", ChannelProfile: "C", SystemChannel: "sys", Channel: "mychannel",
		AnchorMSPs: []string{"Org1MSP"},
		Stages: []Stage{{Phase: "ZooKeeper ensemble", Dirs: []string{filepath.Join(dir, "data")},
			Files: []File{{Path: filepath.Join(dir, "data", "myid"), Content: "1\n"},
				{Path: filepath.Join(dir, "ca1.pem"), Content: "CA1\n"}, {Path: filepath.Join(dir, "ca2.pem"), Content: "CA2\n"}},
			Bundles: []Bundle{{From: []string{filepath.Join(dir, "ca1.pem"), filepath.Join(dir, "ca2.pem")},
				To: filepath.Join(dir, "data", "client-root-cas.pem")}},
			Services: []Service{svc}}},
		Orderer: "o:7050", OrdererTLSCA: "ca.pem", Peers: peers,
		Chaincode: Chaincode{Name: "mycc", Version: "1.0", Path: "/cc", Policy: "OR('Org1MSP.peer')",
			Init: []string{"init", "a", "100", "b", "200"}, Ready: []string{"query", "a"}, ReadyExpect: "100",
			Invoke: []string{"invoke", "a", "b", "10"}, Query: []string{"query", "b"}, Expect: "210",
			QueryOn: []string{"peer0.org1", "peer1.org1"}},
		Timeout: 10 * time.Second,
	}
}

func TestRun(t *testing.T) {
	bin, calls := fakeTools(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	cmd, addr := listener(t, pidFile)
	p := plan(t, bin, Service{Name: "zookeeper on h1", Command: cmd, Dir: t.TempDir(), Log: filepath.Join(t.TempDir(), "log", "zk.log"), Ready: addr})
	var transcript bytes.Buffer
	p.Transcript = &transcript
	phases, err := Run(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ph := range phases {
		names = append(names, ph.Name)
	}
	if want := "Crypto material and channel artifacts,ZooKeeper ensemble,Channel,Chaincode,verify"; strings.Join(names, ",") != want {
		t.Errorf("phases %v, want %s", names, want)
	}
	if b, _ := os.ReadFile(filepath.Join(p.Workdir, "data", "myid")); string(b) != "1\n" {
		t.Errorf("myid = %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(p.Workdir, "data", "client-root-cas.pem")); string(b) != "CA1\nCA2\n" {
		t.Errorf("client-root-cas.pem = %q, want both CAs, one after the other", b)
	}
	// The service was stopped: its process is gone.
	raw, _ := os.ReadFile(pidFile)
	var pid int
	fmt.Sscan(string(raw), &pid)
	if pid == 0 || syscall.Kill(pid, 0) == nil {
		t.Errorf("the service (pid %d) still runs after Run", pid)
	}
	got, _ := os.ReadFile(calls)
	for _, want := range []string{
		"cryptogen generate --config=" + p.Workdir + "/crypto-config.yaml",
		"configtxgen -configPath " + p.Workdir + " -profile C -channelID mychannel -asOrg Org1MSP -outputAnchorPeersUpdate",
		"peer p0:7051 channel create -c mychannel",
		"peer p1:7051 channel join -b",
		"peer p0:7051 channel update -c mychannel -f " + p.Workdir + "/channel-artifacts/Org1MSPanchors.tx -o o:7050 --tls --cafile ca.pem",
		"peer p1:7051 chaincode install -n mycc -v 1.0 -p /cc",
		`peer p0:7051 chaincode instantiate -C mychannel -n mycc -v 1.0 -c {"Args":["init","a","100","b","200"]} -P OR('Org1MSP.peer')`,
		"peer p1:7051 chaincode query -C mychannel -n mycc -c {\"Args\":[\"query\",\"b\"]}",
	} {
		if !strings.Contains(string(got), want) {
			t.Errorf("no call %q in:\n%s", want, got)
		}
	}
	if n := strings.Count(string(got), "channel create"); n != 3 {
		t.Errorf("channel create ran %d times, want 3 (refused twice, then taken)", n)
	}
	for _, want := range []string{"# ZooKeeper ensemble\n", "until nc -z 127.0.0.1 ", "printf '%s' '1\n' > ", " >> "} {
		if !strings.Contains(transcript.String(), want) {
			t.Errorf("transcript lacks %q:\n%s", want, transcript.String())
		}
	}
}

func TestRunFails(t *testing.T) {
	bin, _ := fakeTools(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		svc  Service
		want string
	}{
		{"exits", Service{Name: "kafka on h2", Command: `sh -c "echo broken config; exit 3"`, Ready: "127.0.0.1:1"}, "kafka on h2 exited (exit status 3) before it listened on 127.0.0.1:1; its log"},
		{"never listens", Service{Name: "kafka on h3", Command: "sleep 30", Ready: "127.0.0.1:1"}, "kafka on h3 does not listen on 127.0.0.1:1 after 1s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.svc.Dir, tc.svc.Log = dir, filepath.Join(dir, tc.name+".log")
			p := plan(t, bin, tc.svc)
			p.Timeout = time.Second
			phases, err := Run(context.Background(), p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if tc.name == "exits" && !strings.Contains(err.Error(), "broken config") {
				t.Errorf("error lacks the log's end: %v", err)
			}
			if last := phases[len(phases)-1]; last.Name != "ZooKeeper ensemble" || last.OK {
				t.Errorf("last phase %+v, want the failed stage", last)
			}
		})
	}
}

func TestQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/a/b-c_d.e", "/a/b-c_d.e"},
		{"--config=/x", "--config=/x"},
		{"", "''"},
		{"a b", "'a b'"},
		{"OR('Org1MSP.peer')", `'OR('\''Org1MSP.peer'\'')'`},
		{"/libs/*", "'/libs/*'"},
	} {
		if got := quote(tc.in); got != tc.want {
			t.Errorf("quote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if got := ccArgs([]string{"invoke", "a", "b", "10"}); got != `{"Args":["invoke","a","b","10"]}` {
		t.Errorf("ccArgs = %s", got)
	}
}

package probe

import (
	"context"
	"io"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"
)

const srvr384 = `Zookeeper version: 3.8.4-9316c2a7a97e1666d8f4593f34dd6fc36ecc436c, built on 2024-02-12 22:16 UTC
Latency min/avg/max: 0/0.0/0
Received: 12
Sent: 11
Connections: 1
Outstanding: 0
Zxid: 0x100000000
Mode: follower
Node count: 26
`

func TestParseSrvr(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    *Srvr
		wantErr string
	}{
		{"follower", srvr384, &Srvr{Version: "3.8.4", Mode: "follower", NodeCount: 26, Zxid: "0x100000000", Connections: 1}, ""},
		{"leader", strings.Replace(srvr384, "Mode: follower", "Mode: leader", 1),
			&Srvr{Version: "3.8.4", Mode: "leader", NodeCount: 26, Zxid: "0x100000000", Connections: 1}, ""},
		{"standalone", "Zookeeper version: 3.4.14-4c25d480e66aadd371de8bd2fd8da255ac140bcf, built on 03/06/2019 16:18 GMT\nMode: standalone\nNode count: 4\n",
			&Srvr{Version: "3.4.14", Mode: "standalone", NodeCount: 4}, ""},
		{"no quorum", "This ZooKeeper instance is not currently serving requests\n", nil, "no quorum"},
		{"not whitelisted", "srvr is not executed because it is not in the whitelist.\n", nil, "4lw.commands.whitelist"},
		{"empty", "", nil, "empty answer"},
		{"garbage", "hello\n", nil, "no Mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSrvr(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseSrvr = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// fakeZK answers one srvr on a loopback port, in plaintext.
func fakeZK(t *testing.T, answer string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 4)
		if _, err := io.ReadFull(c, buf); err == nil && string(buf) == "srvr" {
			io.WriteString(c, answer)
		}
	}()
	return l.Addr().String()
}

func TestFourLetter(t *testing.T) {
	addr := fakeZK(t, srvr384)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := FourLetter(ctx, addr, "srvr", nil)
	if err != nil || got != srvr384 {
		t.Fatalf("FourLetter = %q, %v", got, err)
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := l.Addr().String()
	l.Close()
	if _, err := FourLetter(ctx, closed, "srvr", nil); err == nil {
		t.Error("FourLetter on a closed port: no error")
	}
}

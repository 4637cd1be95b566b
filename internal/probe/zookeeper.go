// Package probe asks a running service whether it serves: ZooKeeper's
// four-letter words (over TLS), Fabric's operations /healthz. fabrun status
// and the fabric_ready module ask the same way.
package probe

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
)

// Srvr is what ZooKeeper's `srvr` four-letter command reports.
type Srvr struct {
	Version     string `json:"version"`
	Mode        string `json:"mode"` // leader, follower, standalone, observer
	NodeCount   int    `json:"node_count"`
	Zxid        string `json:"zxid,omitempty"`
	Connections int    `json:"connections"`
}

// FourLetter sends a four-letter command to a ZooKeeper server and returns
// its answer; over TLS with cfg (the deployed ensemble serves only TLS
// clients), in plaintext when cfg is nil.
func FourLetter(ctx context.Context, addr, cmd string, cfg *tls.Config) (string, error) {
	conn, err := DialZooKeeper(ctx, addr, cfg)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if _, err := io.WriteString(conn, cmd); err != nil {
		return "", err
	}
	b, err := io.ReadAll(io.LimitReader(conn, 1<<20))
	if err != nil && len(b) == 0 {
		return "", err
	}
	return string(b), nil
}

// DialZooKeeper connects to addr, with a TLS handshake when cfg is set (the
// server's certificate must name addr's host).
func DialZooKeeper(ctx context.Context, addr string, cfg *tls.Config) (net.Conn, error) {
	if cfg == nil {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}
	d := tls.Dialer{Config: cfg}
	return d.DialContext(ctx, "tcp", addr)
}

// ZooKeeperSession opens a client session with the ensemble (servers:
// host:port), over TLS with cfg (plaintext when nil). It connects in the
// background: a request waits for the connection, so callers bound each one
// themselves. The caller closes it.
func ZooKeeperSession(servers []string, timeout time.Duration, cfg *tls.Config) (*zk.Conn, error) {
	dial := func(_, address string, timeout time.Duration) (net.Conn, error) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		return DialZooKeeper(ctx, address, cfg)
	}
	conn, _, err := zk.Connect(servers, timeout, zk.WithLogger(quietLogger{}), zk.WithLogInfo(false), zk.WithDialer(dial))
	return conn, err
}

// Bounded runs a request on a ZooKeeper session, which waits for the
// connection however long that takes, until ctx ends: then it returns
// ctx's error and leaves the request to end with the session.
func Bounded[T any](ctx context.Context, request func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := request()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// quietLogger drops the client library's log lines: a module's stdout is
// its JSON result.
type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

// ParseSrvr reads a `srvr` answer.
func ParseSrvr(text string) (*Srvr, error) {
	t := strings.TrimSpace(text)
	switch {
	case t == "":
		return nil, fmt.Errorf("empty answer to srvr")
	case strings.Contains(t, "not in the whitelist") || strings.Contains(t, "not executed"):
		return nil, fmt.Errorf("srvr is not allowed (4lw.commands.whitelist): %s", t)
	case strings.Contains(t, "not currently serving requests"):
		return nil, fmt.Errorf("not serving requests (no quorum)")
	}
	s := &Srvr{}
	for _, line := range strings.Split(t, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "Zookeeper version":
			s.Version = strings.SplitN(v, "-", 2)[0]
			s.Version = strings.SplitN(s.Version, ",", 2)[0]
		case "Mode":
			s.Mode = v
		case "Node count":
			s.NodeCount, _ = strconv.Atoi(v)
		case "Zxid":
			s.Zxid = v
		case "Connections":
			s.Connections, _ = strconv.Atoi(v)
		}
	}
	if s.Mode == "" {
		return nil, fmt.Errorf("srvr answer has no Mode: %q", firstLine(t))
	}
	return s, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

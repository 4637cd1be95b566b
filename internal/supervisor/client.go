// Package supervisor drives a host's own supervisord the way supervisorctl
// does (XML-RPC over its unix socket) without a Python process per call:
// Client is the protocol, Run the fabric_supervisor module.
package supervisor

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Fault codes supervisord answers with (supervisor/xmlrpc.py's Faults).
const (
	FaultShutdownState       = 6
	FaultBadName             = 10
	FaultNoFile              = 20
	FaultNotExecutable       = 21
	FaultFailed              = 30
	FaultAbnormalTermination = 40
	FaultSpawnError          = 50
	FaultAlreadyStarted      = 60
	FaultNotRunning          = 70
	FaultAlreadyAdded        = 90
)

// Fault is supervisord's refusal of a call.
type Fault struct {
	Code   int
	String string
}

func (f *Fault) Error() string { return f.String }

// IsFault reports whether err is supervisord's fault code.
func IsFault(err error, code int) bool {
	var f *Fault
	return errors.As(err, &f) && f.Code == code
}

// DownError says supervisord did not answer on its socket: it is not
// running (or the socket is another's).
type DownError struct {
	Socket string
	Err    error
}

func (e *DownError) Error() string { return fmt.Sprintf("supervisord on %s: %v", e.Socket, e.Err) }

// Client talks to one supervisord.
type Client struct {
	socket string
	http   *http.Client
}

// NewClient returns a client of the supervisord listening on socket. Calls
// end with their context: a start waits out the program's startsecs, a stop
// its stopwaitsecs.
func NewClient(socket string) *Client {
	return &Client{socket: socket, http: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
	}}}
}

// Call invokes method with string or bool params and returns its answer.
func (c *Client) Call(ctx context.Context, method string, params ...any) (Value, error) {
	var body strings.Builder
	body.WriteString(`<?xml version="1.0"?><methodCall><methodName>` + method + `</methodName><params>`)
	for _, p := range params {
		switch v := p.(type) {
		case string:
			body.WriteString(`<param><value><string>` + html.EscapeString(v) + `</string></value></param>`)
		case bool:
			b := "0"
			if v {
				b = "1"
			}
			body.WriteString(`<param><value><boolean>` + b + `</boolean></value></param>`)
		default:
			return Value{}, fmt.Errorf("supervisor: %s: unsupported parameter type %T", method, p)
		}
	}
	body.WriteString(`</params></methodCall>`)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://supervisord/RPC2", strings.NewReader(body.String()))
	if err != nil {
		return Value{}, err
	}
	req.Header.Set("Content-Type", "text/xml")
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return Value{}, fmt.Errorf("supervisord: %s: %w", method, ctx.Err())
		}
		return Value{}, &DownError{Socket: c.socket, Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return Value{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return Value{}, fmt.Errorf("supervisord: %s: HTTP %s", method, resp.Status)
	}
	return parseResponse(b)
}

// ProcessInfo is what supervisord knows of one program.
type ProcessInfo struct {
	Name      string
	StateName string // RUNNING, STOPPED, STARTING, BACKOFF, FATAL, EXITED, ...
	PID       int64
	Start     string // start time, seconds since the epoch
}

// ProcessInfo returns the program name's state; a fault BAD_NAME when
// supervisord has no such program.
func (c *Client) ProcessInfo(ctx context.Context, name string) (ProcessInfo, error) {
	v, err := c.Call(ctx, "supervisor.getProcessInfo", name)
	if err != nil {
		return ProcessInfo{}, err
	}
	pid, _ := strconv.ParseInt(v.Member("pid").Text(), 10, 64)
	return ProcessInfo{Name: v.Member("name").Text(), StateName: v.Member("statename").Text(),
		PID: pid, Start: v.Member("start").Text()}, nil
}

// Start starts a program and returns once it has run its startsecs
// (supervisord answers once it is RUNNING, or with the fault that ended its
// start retries: SPAWN_ERROR, ABNORMAL_TERMINATION, ALREADY_STARTED, ...).
func (c *Client) Start(ctx context.Context, name string) error {
	_, err := c.Call(ctx, "supervisor.startProcess", name, true)
	return err
}

// Stop stops a program and returns once it exited (after its stopwaitsecs
// it is killed); one that does not run is left as it is.
func (c *Client) Stop(ctx context.Context, name string) error {
	if _, err := c.Call(ctx, "supervisor.stopProcess", name, true); err != nil && !IsFault(err, FaultNotRunning) {
		return err
	}
	return nil
}

// Program is one program supervisord has loaded.
type Program struct {
	Name     string `json:"name"`
	Priority int    `json:"priority"` // its group's: the order supervisord starts and stops it in
}

// Programs lists the programs supervisord has loaded (in use), by name.
func (c *Client) Programs(ctx context.Context) ([]Program, error) {
	v, err := c.Call(ctx, "supervisor.getAllConfigInfo")
	if err != nil {
		return nil, err
	}
	out := []Program{}
	for _, p := range v.Array {
		if p.Member("inuse").Text() != "1" {
			continue
		}
		prio, _ := strconv.Atoi(p.Member("group_prio").Text())
		out = append(out, Program{Name: p.Member("name").Text(), Priority: prio})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Reread is supervisord's reloadConfig: which groups its config files now
// add, change or remove (nothing is started or stopped by it).
func (c *Client) Reread(ctx context.Context) (added, changed, removed []string, err error) {
	v, err := c.Call(ctx, "supervisor.reloadConfig")
	if err != nil {
		return nil, nil, nil, err
	}
	// [[added, changed, removed]]
	lists := v.Index(0)
	return lists.Index(0).Texts(), lists.Index(1).Texts(), lists.Index(2).Texts(), nil
}

// Value is one XML-RPC value: a scalar (its text), an array or a struct.
type Value struct {
	Int     *string  `xml:"int"`
	I4      *string  `xml:"i4"`
	String  *string  `xml:"string"`
	Boolean *string  `xml:"boolean"`
	Double  *string  `xml:"double"`
	Array   []Value  `xml:"array>data>value"`
	Struct  []Member `xml:"struct>member"`
	Chars   string   `xml:",chardata"`
}

// Member is one named value of a struct.
type Member struct {
	Name  string `xml:"name"`
	Value Value  `xml:"value"`
}

// Text is a scalar's text (an untyped value is a string).
func (v Value) Text() string {
	for _, s := range []*string{v.Int, v.I4, v.String, v.Boolean, v.Double} {
		if s != nil {
			return *s
		}
	}
	return strings.TrimSpace(v.Chars)
}

// Member is a struct's member name, the zero Value when absent.
func (v Value) Member(name string) Value {
	for _, m := range v.Struct {
		if m.Name == name {
			return m.Value
		}
	}
	return Value{}
}

// Index is an array's i-th element, the zero Value when absent.
func (v Value) Index(i int) Value {
	if i < len(v.Array) {
		return v.Array[i]
	}
	return Value{}
}

// Texts is an array of scalars as strings.
func (v Value) Texts() []string {
	out := make([]string, 0, len(v.Array))
	for _, e := range v.Array {
		out = append(out, e.Text())
	}
	return out
}

// parseResponse reads a methodResponse: its one value, or its fault.
func parseResponse(b []byte) (Value, error) {
	var doc struct {
		Params []Value `xml:"params>param>value"`
		Fault  *Value  `xml:"fault>value"`
	}
	if err := xml.NewDecoder(bytes.NewReader(b)).Decode(&doc); err != nil {
		return Value{}, fmt.Errorf("supervisord's answer: %v", err)
	}
	if doc.Fault != nil {
		code, _ := strconv.Atoi(doc.Fault.Member("faultCode").Text())
		return Value{}, &Fault{Code: code, String: doc.Fault.Member("faultString").Text()}
	}
	if len(doc.Params) == 0 {
		return Value{}, errors.New("supervisord's answer holds no value")
	}
	return doc.Params[0], nil
}

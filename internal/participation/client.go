// Package participation talks to an orderer's channel participation API
// (Fabric v2.3+, the admin endpoint, mutual TLS): list the orderer's
// channels, join one with its genesis or latest config block (what
// `osnadmin channel join` does) and remove one. The fabric_orderer_channel
// module and the system channel's removal use it.
package participation

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"time"
)

// channelsPath is the API's collection of channels
// (orderer/common/channelparticipation: URLBaseV1Channels).
const channelsPath = "/participation/v1/channels"

// configBlockField is the multipart form's file part that carries the
// block (FormDataConfigBlockKey).
const configBlockField = "config-block"

// ChannelInfo is one channel on one orderer (Fabric's types.ChannelInfo).
type ChannelInfo struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	// ConsensusRelation: consenter, follower, config-tracker or other
	// (Kafka, solo).
	ConsensusRelation string `json:"consensusRelation"`
	// Status: active, onboarding, inactive or failed.
	Status string `json:"status"`
	Height uint64 `json:"height"`
}

// ChannelRef names a channel in a list.
type ChannelRef struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// ChannelList is every channel of an orderer (Fabric's types.ChannelList);
// SystemChannel is nil once there is none.
type ChannelList struct {
	SystemChannel *ChannelRef  `json:"systemChannel"`
	Channels      []ChannelRef `json:"channels"`
}

// Names are the application channels' names.
func (l ChannelList) Names() []string {
	var out []string
	for _, c := range l.Channels {
		out = append(out, c.Name)
	}
	return out
}

// Client is one orderer's admin endpoint.
type Client struct {
	// Address is the admin endpoint's host:port.
	Address string
	http    *http.Client
}

// TLS are the files of the mutual TLS connection: the orderer's TLS CA,
// and the client's certificate and key (an identity of the orderer org's
// TLS CA, e.g. its Admin's tls/client.crt, which the admin endpoint's
// ClientRootCAs trust).
type TLS struct {
	CA, Cert, Key string
}

// New connects to the admin endpoint at address.
func New(address string, files TLS, timeout time.Duration) (*Client, error) {
	ca, err := os.ReadFile(files.CA)
	if err != nil {
		return nil, fmt.Errorf("admin_tls_ca: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("admin_tls_ca %s holds no PEM certificate", files.CA)
	}
	pair, err := tls.LoadX509KeyPair(files.Cert, files.Key)
	if err != nil {
		return nil, fmt.Errorf("admin_tls_cert/admin_tls_key: %v", err)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}}
	return &Client{Address: address, http: &http.Client{Transport: tr, Timeout: timeout}}, nil
}

// Close drops idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// ErrNotFound is the answer for a channel the orderer does not have.
var ErrNotFound = errors.New("channel not found")

// APIError is a refusal by the orderer: its status and error text.
type APIError struct {
	Status int
	Text   string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, http.StatusText(e.Status), e.Text)
}

func (c *Client) url(channel string) string {
	u := url.URL{Scheme: "https", Host: c.Address, Path: channelsPath}
	if channel != "" {
		u.Path += "/" + channel
	}
	return u.String()
}

// do sends req and decodes a JSON answer into out when the status is want.
func (c *Client) do(req *http.Request, want int, out any) error {
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("orderer admin endpoint %s: %w", c.Address, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("orderer admin endpoint %s: %w", c.Address, err)
	}
	if resp.StatusCode != want {
		var e struct {
			Error string `json:"error"`
		}
		text := string(bytes.TrimSpace(body))
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			text = e.Error
		}
		return &APIError{Status: resp.StatusCode, Text: text}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("orderer admin endpoint %s: unexpected answer %q: %v", c.Address, body, err)
	}
	return nil
}

// List is every channel of the orderer.
func (c *Client) List() (ChannelList, error) {
	var l ChannelList
	req, err := http.NewRequest(http.MethodGet, c.url(""), nil)
	if err != nil {
		return l, err
	}
	return l, c.do(req, http.StatusOK, &l)
}

// Channel is one channel's state on the orderer; ErrNotFound when the
// orderer does not have it.
func (c *Client) Channel(name string) (ChannelInfo, error) {
	var info ChannelInfo
	req, err := http.NewRequest(http.MethodGet, c.url(name), nil)
	if err != nil {
		return info, err
	}
	err = c.do(req, http.StatusOK, &info)
	var api *APIError
	if errors.As(err, &api) && api.Status == http.StatusNotFound {
		return info, ErrNotFound
	}
	return info, err
}

// Join joins the orderer to the channel whose genesis (or latest config)
// block is block, as a consenter when the block's consenter set names it
// and as a follower otherwise.
func (c *Client) Join(block []byte) (ChannelInfo, error) {
	var info ChannelInfo
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	part, err := w.CreateFormFile(configBlockField, "config.block")
	if err != nil {
		return info, err
	}
	if _, err := part.Write(block); err != nil {
		return info, err
	}
	if err := w.Close(); err != nil {
		return info, err
	}
	req, err := http.NewRequest(http.MethodPost, c.url(""), &body)
	if err != nil {
		return info, err
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	return info, c.do(req, http.StatusCreated, &info)
}

// Remove removes the channel from the orderer (its ledger included).
func (c *Client) Remove(name string) error {
	req, err := http.NewRequest(http.MethodDelete, c.url(name), nil)
	if err != nil {
		return err
	}
	err = c.do(req, http.StatusNoContent, nil)
	var api *APIError
	if errors.As(err, &api) && api.Status == http.StatusNotFound {
		return ErrNotFound
	}
	return err
}

package fabricclient

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/golang/protobuf/proto"
	"github.com/hyperledger/fabric-protos-go/common"
	ab "github.com/hyperledger/fabric-protos-go/orderer"
	"github.com/hyperledger/fabric-sdk-go/pkg/common/errors/multi"
	"github.com/hyperledger/fabric-sdk-go/pkg/common/errors/status"
	"github.com/hyperledger/fabric-sdk-go/pkg/common/providers/fab"
	ccomm "github.com/hyperledger/fabric-sdk-go/pkg/core/config/comm"
	"github.com/hyperledger/fabric-sdk-go/pkg/fab/txn"
	"github.com/pkg/errors"
)

// Seek positions for FetchBlock.
func Newest() *ab.SeekPosition {
	return &ab.SeekPosition{Type: &ab.SeekPosition_Newest{Newest: &ab.SeekNewest{}}}
}

func Oldest() *ab.SeekPosition {
	return &ab.SeekPosition{Type: &ab.SeekPosition_Oldest{Oldest: &ab.SeekOldest{}}}
}

func Number(n uint64) *ab.SeekPosition {
	return &ab.SeekPosition{Type: &ab.SeekPosition_Specified{Specified: &ab.SeekSpecified{Number: n}}}
}

// FetchBlock reads one block of a channel from the orderer, as
// `peer channel fetch` does. With wait, a block not yet written is waited
// for (up to the timeout); otherwise the orderer answers NOT_FOUND at once.
func (c *Client) FetchBlock(channelID string, pos *ab.SeekPosition, wait bool, timeout time.Duration) (*common.Block, error) {
	o, err := c.OrdererTarget()
	if err != nil {
		return nil, err
	}
	ctx, err := c.Context()
	if err != nil {
		return nil, err
	}
	reqCtx, cancel, err := c.Request(timeout)
	if err != nil {
		return nil, err
	}
	defer cancel()

	th, err := txn.NewHeader(ctx, channelID)
	if err != nil {
		return nil, errors.Wrap(err, "creating the deliver request header failed")
	}
	hash, err := ccomm.TLSCertHash(ctx.EndpointConfig())
	if err != nil {
		return nil, errors.Wrap(err, "hashing the client TLS certificate failed")
	}
	chdr, err := txn.CreateChannelHeader(common.HeaderType_DELIVER_SEEK_INFO, txn.ChannelHeaderOpts{TxnHeader: th, TLSCertHash: hash})
	if err != nil {
		return nil, err
	}
	chdrBytes, err := proto.Marshal(chdr)
	if err != nil {
		return nil, err
	}
	shdr, err := txn.CreateSignatureHeader(th)
	if err != nil {
		return nil, err
	}
	shdrBytes, err := proto.Marshal(shdr)
	if err != nil {
		return nil, err
	}
	behavior := ab.SeekInfo_FAIL_IF_NOT_READY
	if wait {
		behavior = ab.SeekInfo_BLOCK_UNTIL_READY
	}
	seek, err := proto.Marshal(&ab.SeekInfo{Start: pos, Stop: pos, Behavior: behavior})
	if err != nil {
		return nil, err
	}
	payload := &common.Payload{Header: &common.Header{ChannelHeader: chdrBytes, SignatureHeader: shdrBytes}, Data: seek}
	block, err := txn.SendPayload(reqCtx, payload, []fab.Orderer{o})
	if err != nil {
		return nil, err
	}
	if block == nil {
		return nil, fmt.Errorf("the orderer returned no block")
	}
	return block, nil
}

// ConfigBlock is the channel's latest configuration block, from the orderer.
func (c *Client) ConfigBlock(channelID string) (*common.Block, error) {
	newest, err := c.FetchBlock(channelID, Newest(), false, 0)
	if err != nil {
		return nil, err
	}
	idx, err := LastConfigIndex(newest)
	if err != nil {
		return nil, err
	}
	if idx == newest.Header.Number {
		return newest, nil
	}
	return c.FetchBlock(channelID, Number(idx), false, 0)
}

// OrdererStatus extracts the ordering service's status code from a deliver
// or broadcast error (e.g. 404 NOT_FOUND for an unknown channel).
func OrdererStatus(err error) (common.Status, bool) {
	for err != nil {
		if s, ok := err.(*status.Status); ok {
			if s.Group == status.OrdererServerStatus {
				return common.Status(s.Code), true
			}
			for _, d := range s.Details {
				if e, ok := d.(error); ok {
					if st, ok := OrdererStatus(e); ok {
						return st, true
					}
				}
			}
			return 0, false
		}
		if oe, ok := err.(*OrderingError); ok {
			for _, e := range oe.Unwrap() {
				if st, ok := OrdererStatus(e); ok {
					return st, true
				}
			}
			return 0, false
		}
		if m, ok := err.(multi.Errors); ok {
			for _, e := range m {
				if st, ok := OrdererStatus(e); ok {
					return st, true
				}
			}
			return 0, false
		}
		cause := errors.Cause(err)
		if cause == err {
			if u, ok := err.(interface{ Unwrap() error }); ok {
				cause = u.Unwrap()
			} else {
				return 0, false
			}
		}
		err = cause
	}
	return 0, false
}

// IsChannelNotFound reports an orderer's NOT_FOUND answer.
func IsChannelNotFound(err error) bool {
	st, ok := OrdererStatus(err)
	return ok && st == common.Status_NOT_FOUND
}

// LastConfigIndex reads the last-config index from a block's metadata.
func LastConfigIndex(block *common.Block) (uint64, error) {
	if block.Header.Number == 0 {
		return 0, nil
	}
	md := block.GetMetadata().GetMetadata()
	if len(md) <= int(common.BlockMetadataIndex_SIGNATURES) {
		return 0, fmt.Errorf("block %d has no signatures metadata", block.Header.Number)
	}
	m := &common.Metadata{}
	if err := proto.Unmarshal(md[common.BlockMetadataIndex_SIGNATURES], m); err != nil {
		return 0, fmt.Errorf("block %d: bad signatures metadata: %v", block.Header.Number, err)
	}
	// Fabric v2 keeps the index in the signatures metadata value.
	if len(m.Value) > 0 {
		omd := &common.OrdererBlockMetadata{}
		if err := proto.Unmarshal(m.Value, omd); err == nil && omd.LastConfig != nil {
			return omd.LastConfig.Index, nil
		}
	}
	// Older blocks: the LAST_CONFIG metadata slot.
	if len(md) > int(common.BlockMetadataIndex_LAST_CONFIG) {
		lm := &common.Metadata{}
		if err := proto.Unmarshal(md[common.BlockMetadataIndex_LAST_CONFIG], lm); err == nil {
			lc := &common.LastConfig{}
			if err := proto.Unmarshal(lm.Value, lc); err == nil {
				return lc.Index, nil
			}
		}
	}
	return 0, fmt.Errorf("block %d carries no last-config index", block.Header.Number)
}

// BlockChannel is the channel ID in a block's first transaction header.
func BlockChannel(block *common.Block) (string, error) {
	if block == nil || block.Data == nil || len(block.Data.Data) == 0 {
		return "", fmt.Errorf("the block has no transactions")
	}
	env := &common.Envelope{}
	if err := proto.Unmarshal(block.Data.Data[0], env); err != nil {
		return "", fmt.Errorf("bad envelope: %v", err)
	}
	chdr, err := EnvelopeChannelHeader(env)
	if err != nil {
		return "", err
	}
	return chdr.ChannelId, nil
}

// EnvelopeChannelHeader decodes an envelope's channel header.
func EnvelopeChannelHeader(env *common.Envelope) (*common.ChannelHeader, error) {
	p := &common.Payload{}
	if err := proto.Unmarshal(env.Payload, p); err != nil {
		return nil, fmt.Errorf("bad payload: %v", err)
	}
	if p.Header == nil {
		return nil, fmt.Errorf("payload has no header")
	}
	chdr := &common.ChannelHeader{}
	if err := proto.Unmarshal(p.Header.ChannelHeader, chdr); err != nil {
		return nil, fmt.Errorf("bad channel header: %v", err)
	}
	return chdr, nil
}

// BlockConfig decodes the channel configuration carried by a config block.
func BlockConfig(block *common.Block) (*common.Config, error) {
	if block == nil || block.Data == nil || len(block.Data.Data) != 1 {
		return nil, fmt.Errorf("not a configuration block")
	}
	env := &common.Envelope{}
	if err := proto.Unmarshal(block.Data.Data[0], env); err != nil {
		return nil, fmt.Errorf("bad envelope: %v", err)
	}
	p := &common.Payload{}
	if err := proto.Unmarshal(env.Payload, p); err != nil {
		return nil, fmt.Errorf("bad payload: %v", err)
	}
	chdr := &common.ChannelHeader{}
	if p.Header == nil || proto.Unmarshal(p.Header.ChannelHeader, chdr) != nil || common.HeaderType(chdr.Type) != common.HeaderType_CONFIG {
		return nil, fmt.Errorf("block %d is not a configuration block", block.GetHeader().GetNumber())
	}
	ce := &common.ConfigEnvelope{}
	if err := proto.Unmarshal(p.Data, ce); err != nil {
		return nil, fmt.Errorf("bad config envelope: %v", err)
	}
	if ce.Config == nil {
		return nil, fmt.Errorf("config envelope without config")
	}
	return ce.Config, nil
}

// Unreachable reports a failure to connect at all (peer or orderer down,
// wrong address); for the ordering service, to any of its orderers.
func Unreachable(err error) bool {
	if err == nil {
		return false
	}
	var oe *OrderingError
	if errors.As(err, &oe) {
		for _, f := range oe.Failures {
			if !Unreachable(f.Err) {
				return false
			}
		}
		return true
	}
	s := err.Error()
	return strings.Contains(s, "CONNECTION_FAILED") || strings.Contains(s, "connection refused") ||
		strings.Contains(s, "TRANSIENT_FAILURE") || strings.Contains(s, "context deadline exceeded")
}

// UnreachableHint says why an endpoint cannot be reached; option is the
// endpoint's option name (orderer, peer). gRPC reports a refused connection
// and a failed TLS handshake alike, so this dials the endpoint itself.
// For the orderers, it gives each orderer's reason.
func (c *Client) UnreachableHint(option string) string {
	switch {
	case option == "orderer" && len(c.Cfg.Orderers) == 1:
		return c.endpointHint(&c.Cfg.Orderers[0], option)
	case option == "orderer" && len(c.Cfg.Orderers) > 1:
		hints := make([]string, len(c.Cfg.Orderers))
		for i := range c.Cfg.Orderers {
			hints[i] = fmt.Sprintf("%s: %s", c.Cfg.Orderers[i].Address, c.endpointHint(&c.Cfg.Orderers[i], option))
		}
		return strings.Join(hints, "; ")
	case option == "peer" && len(c.Cfg.Peers) > 0:
		return c.endpointHint(&c.Cfg.Peers[0], option)
	}
	return "is it running?"
}

func (c *Client) endpointHint(e *Endpoint, option string) string {
	conn, err := net.DialTimeout("tcp", e.Address, 5*time.Second)
	if err != nil {
		return fmt.Sprintf("nothing answers at %s: %v; is it running?", e.Address, err)
	}
	defer conn.Close()
	pool := x509.NewCertPool()
	if b, err := os.ReadFile(e.TLSCA); err == nil {
		pool.AppendCertsFromPEM(b)
	}
	host, _, _ := net.SplitHostPort(e.Address)
	name := e.TLSHostname
	if name == "" {
		name = host
	}
	cfg := &tls.Config{RootCAs: pool, ServerName: name, NextProtos: []string{"h2"}}
	if c.Cfg.ClientTLSCert != "" {
		if cert, err := tls.LoadX509KeyPair(c.Cfg.ClientTLSCert, c.Cfg.ClientTLSKey); err == nil {
			cfg.Certificates = []tls.Certificate{cert}
		}
	}
	tc := tls.Client(conn, cfg)
	tc.SetDeadline(time.Now().Add(5 * time.Second))
	if err := tc.Handshake(); err != nil {
		return fmt.Sprintf("the TLS handshake with %s as %q fails: %v; check %s_tls_ca and %s_tls_hostname", e.Address, name, err, option, option)
	}
	// The server may reject the missing client certificate only after the
	// handshake (TLS 1.3): a read shows it.
	tc.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := tc.Read(make([]byte, 1)); err != nil && strings.Contains(err.Error(), "certificate") {
		return fmt.Sprintf("%s rejects the connection: %v; does it require client TLS certificates (client_tls_cert, client_tls_key)?", e.Address, err)
	}
	return "it accepts TLS connections now; is it overloaded or restarting?"
}

// ShortError trims the SDK's nested error wording to its most useful parts.
func ShortError(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	// The SDK keeps the underlying reason of some failures only in a
	// status's details.
	var details []string
	var walk func(error)
	walk = func(e error) {
		for e != nil {
			switch t := e.(type) {
			case *status.Status:
				for _, d := range t.Details {
					if ds, ok := d.(string); ok && ds != "" && !strings.Contains(s, ds) {
						details = append(details, ds)
					}
					if de, ok := d.(error); ok {
						walk(de)
					}
				}
				return
			case multi.Errors:
				for _, x := range t {
					walk(x)
				}
				return
			}
			c := errors.Cause(e)
			if c == e {
				u, ok := e.(interface{ Unwrap() error })
				if !ok {
					return
				}
				c = u.Unwrap()
			}
			e = c
		}
	}
	walk(err)
	if len(details) > 0 {
		s += " (" + strings.Join(details, "; ") + ")"
	}
	return strings.ReplaceAll(s, "\n", " ")
}

// ConsensusType is the ordering consensus type (kafka, etcdraft, ...) of a
// channel configuration.
func ConsensusType(config *common.Config) (string, error) {
	v := config.GetChannelGroup().GetGroups()["Orderer"].GetValues()["ConsensusType"]
	if v == nil {
		return "", fmt.Errorf("the config has no Orderer ConsensusType value")
	}
	ct := &ab.ConsensusType{}
	if err := proto.Unmarshal(v.Value, ct); err != nil {
		return "", fmt.Errorf("bad ConsensusType value: %v", err)
	}
	return ct.Type, nil
}

package fabricclient

import (
	reqContext "context"
	"sync"

	"github.com/hyperledger/fabric-sdk-go/pkg/client/common/discovery/staticdiscovery"
	"github.com/hyperledger/fabric-sdk-go/pkg/client/common/selection/staticselection"
	"github.com/hyperledger/fabric-sdk-go/pkg/common/options"
	"github.com/hyperledger/fabric-sdk-go/pkg/common/providers/context"
	"github.com/hyperledger/fabric-sdk-go/pkg/common/providers/fab"
	"github.com/hyperledger/fabric-sdk-go/pkg/fab/events/deliverclient"
	"github.com/hyperledger/fabric-sdk-go/pkg/fab/txn"
	"github.com/hyperledger/fabric-sdk-go/pkg/fabsdk/factory/defsvc"
	"github.com/hyperledger/fabric-sdk-go/pkg/fabsdk/provider/chpvdr"
)

// The SDK picks Fabric's discovery service (and gossip-advertised endpoints)
// for any channel with the V1_2 application capability. A task names its
// peers explicitly, so the channel services here are static: discovery and
// endorser selection return exactly the profile's channel peers, and block
// events come from the first of them. Membership is our own (membership.go);
// channel config is the SDK's, and so is the transactor except that it
// orders through the client's orderer failover (ordering.go).

type staticServiceFactory struct {
	*defsvc.ProviderFactory
	p *staticChannelProvider
}

func (f *staticServiceFactory) CreateChannelProvider(config fab.EndpointConfig, opts ...options.Opt) (fab.ChannelProvider, error) {
	inner, err := chpvdr.New(config, opts...)
	if err != nil {
		return nil, err
	}
	f.p.inner = inner
	return f.p, nil
}

type staticChannelProvider struct {
	client *Client // its orderers
	inner  *chpvdr.ChannelProvider
	mu     sync.Mutex
	// events holds one event client per channel; the SDK instance serves a
	// single identity.
	events  map[string]*chpvdr.EventClientRef
	members membershipCache
}

func (p *staticChannelProvider) Initialize(providers context.Providers) error {
	return p.inner.Initialize(providers)
}

func (p *staticChannelProvider) Close() {
	p.mu.Lock()
	for _, e := range p.events {
		e.Close()
	}
	p.events = nil
	p.mu.Unlock()
	p.inner.Close()
}

func (p *staticChannelProvider) CloseContext(ctx fab.ClientContext) { p.inner.CloseContext(ctx) }

func (p *staticChannelProvider) ChannelService(ctx fab.ClientContext, channelID string) (fab.ChannelService, error) {
	inner, err := p.inner.ChannelService(ctx, channelID)
	if err != nil {
		return nil, err
	}
	return &staticChannelService{ChannelService: inner, p: p, ctx: ctx, channelID: channelID}, nil
}

type staticChannelService struct {
	fab.ChannelService
	p         *staticChannelProvider
	ctx       fab.ClientContext
	channelID string
}

func (s *staticChannelService) Discovery() (fab.DiscoveryService, error) {
	return staticdiscovery.NewService(s.ctx.EndpointConfig(), s.ctx.InfraProvider(), s.channelID)
}

// Membership verifies endorsers against the channel's MSPs (see
// channelMembership for why not the SDK's own).
func (s *staticChannelService) Membership() (fab.ChannelMembership, error) {
	cfg, err := s.ChannelConfig()
	if err != nil {
		return nil, err
	}
	return s.p.members.get(cfg)
}

// Transactor is the SDK's, but sends transactions to the orderers in
// failover order instead of to a random one of the channel's orderers, so
// that when all fail, the error has every orderer's reason.
func (s *staticChannelService) Transactor(reqCtx reqContext.Context) (fab.Transactor, error) {
	inner, err := s.ChannelService.Transactor(reqCtx)
	if err != nil || len(s.p.client.OrdererNames) == 0 {
		return inner, err
	}
	o, err := s.p.client.ordererTarget(s.ctx)
	if err != nil {
		return nil, err
	}
	return &failoverTransactor{Transactor: inner, reqCtx: reqCtx, orderer: o}, nil
}

type failoverTransactor struct {
	fab.Transactor
	reqCtx  reqContext.Context
	orderer fab.Orderer
}

func (t *failoverTransactor) SendTransaction(tx *fab.Transaction) (*fab.TransactionResponse, error) {
	return txn.Send(t.reqCtx, tx, []fab.Orderer{t.orderer})
}

func (s *staticChannelService) Selection() (fab.SelectionService, error) {
	d, err := s.Discovery()
	if err != nil {
		return nil, err
	}
	return staticselection.NewService(d)
}

func (s *staticChannelService) EventService(opts ...options.Opt) (fab.EventService, error) {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	if ref, ok := s.p.events[s.channelID]; ok && !ref.Closed() {
		return ref, nil
	}
	chCfg, err := s.ChannelConfig()
	if err != nil {
		return nil, err
	}
	d, err := s.Discovery()
	if err != nil {
		return nil, err
	}
	ctx := s.ctx
	ref := chpvdr.NewEventClientRef(ctx.EndpointConfig().Timeout(fab.EventServiceIdle), func() (fab.EventClient, error) {
		return deliverclient.New(ctx, chCfg, eventSources{d, ctx.EndpointConfig(), s.channelID}, opts...)
	})
	if s.p.events == nil {
		s.p.events = map[string]*chpvdr.EventClientRef{}
	}
	s.p.events[s.channelID] = ref
	return ref, nil
}

// eventSources narrows discovery to the channel peers marked eventSource.
type eventSources struct {
	d         fab.DiscoveryService
	cfg       fab.EndpointConfig
	channelID string
}

func (e eventSources) GetPeers() ([]fab.Peer, error) {
	peers, err := e.d.GetPeers()
	if err != nil {
		return nil, err
	}
	src := map[string]bool{}
	for _, cp := range e.cfg.ChannelPeers(e.channelID) {
		if cp.EventSource {
			src[cp.URL] = true
		}
	}
	var out []fab.Peer
	for _, p := range peers {
		if src[p.URL()] {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return peers, nil
	}
	return out, nil
}

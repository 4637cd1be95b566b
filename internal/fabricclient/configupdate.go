package fabricclient

import (
	"bytes"

	"github.com/hyperledger/fabric-sdk-go/pkg/client/resmgmt"
	"github.com/hyperledger/fabric-sdk-go/pkg/common/providers/fab"
)

// ConfigTxSaver returns a function that submits a channel transaction (a
// creation or a config update envelope, as configtxgen writes them) through
// the client's orderers, signed by the client's admin.
func (c *Client) ConfigTxSaver() (func(channelID string, tx []byte) error, error) {
	rc, err := resmgmt.New(c.ClientProvider())
	if err != nil {
		return nil, err
	}
	orderer, err := c.OrdererTarget()
	if err != nil {
		return nil, err
	}
	return func(channelID string, tx []byte) error {
		_, err := rc.SaveChannel(resmgmt.SaveChannelRequest{ChannelID: channelID, ChannelConfig: bytes.NewReader(tx)},
			resmgmt.WithOrderer(orderer), resmgmt.WithTimeout(fab.OrdererResponse, c.Cfg.Timeout))
		return err
	}, nil
}

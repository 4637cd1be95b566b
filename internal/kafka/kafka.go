// Package kafka is fabrun's Kafka client: the cluster as a broker's own TLS
// identity sees it, over the Kafka protocol (sarama, the client Fabric's
// orderer uses), where Kafka's tools start a JVM for each question.
package kafka

import (
	"crypto/tls"
	"fmt"
	"slices"
	"time"

	"github.com/Shopify/sarama"

	"github.com/fabrun/fabrun/internal/probe"
)

// Config is a client with the TLS identity of keystore (one PEM file with
// the certificate and its key, Kafka's ssl.keystore.type=PEM), trusting ca
// and checking the broker's name, as Kafka's own clients do; each
// connection, request and answer gets timeout.
func Config(ca, keystore string, timeout time.Duration) (*sarama.Config, error) {
	pool, err := probe.CAPool(ca)
	if err != nil {
		return nil, fmt.Errorf("tls_ca: %v", err)
	}
	pair, err := probe.KeyStore(keystore)
	if err != nil {
		return nil, err
	}
	if timeout <= 0 {
		return nil, fmt.Errorf("timeout: must be positive, got %s", timeout)
	}
	cfg := sarama.NewConfig()
	cfg.ClientID = "fabrun"
	// The ACL requests need 0.11 or later; Kafka 3.9 answers these versions.
	cfg.Version = sarama.V2_0_0_0
	cfg.Net.TLS.Enable = true
	cfg.Net.TLS.Config = &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	cfg.Net.DialTimeout, cfg.Net.ReadTimeout, cfg.Net.WriteTimeout = timeout, timeout, timeout
	cfg.Admin.Timeout = timeout
	return cfg, nil
}

// BrokerIDs are the brokers the cluster's metadata lists (those registered
// and known to the controller), sorted, as the first of bootstrap that
// answers tells.
func BrokerIDs(bootstrap []string, cfg *sarama.Config) ([]int32, error) {
	client, err := sarama.NewClient(bootstrap, cfg)
	if err != nil {
		return nil, err
	}
	defer client.Close()
	var ids []int32
	for _, b := range client.Brokers() {
		ids = append(ids, b.ID())
	}
	slices.Sort(ids)
	return ids, nil
}

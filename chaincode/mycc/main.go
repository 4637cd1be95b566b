// Command mycc runs the two-account chaincode in one of two ways:
//
//   - as a chaincode client (the default, and what the fabrun external builder
//     uses): the process dials the peer and registers. The shim reads
//     CORE_CHAINCODE_ID_NAME, CORE_PEER_TLS_ENABLED, CORE_TLS_CLIENT_KEY_FILE
//     and CORE_TLS_CLIENT_CERT_FILE (PEM; or the base64 *_PATH variants),
//     CORE_PEER_TLS_ROOTCERT_FILE and the -peer.address flag. When the flag is
//     absent, CORE_PEER_ADDRESS is used.
//
//   - as a chaincode server ("chaincode as a service") when
//     CHAINCODE_SERVER_ADDRESS is set: it listens there for the peer, with
//     CHAINCODE_ID the package ID. TLS is on when CHAINCODE_TLS_CERT and
//     CHAINCODE_TLS_KEY name PEM files; CHAINCODE_CLIENT_CA_CERT (PEM file)
//     then also requires and verifies the peer's client certificate.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/hyperledger/fabric-chaincode-go/shim"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "mycc: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	if addr := os.Getenv("CHAINCODE_SERVER_ADDRESS"); addr != "" {
		server, err := newServer(addr, os.Getenv)
		if err != nil {
			return err
		}
		return server.Start()
	}
	flag.Parse()
	if f := flag.Lookup("peer.address"); f != nil && f.Value.String() == "" {
		if addr := os.Getenv("CORE_PEER_ADDRESS"); addr != "" {
			if err := f.Value.Set(addr); err != nil {
				return err
			}
		}
	}
	return shim.Start(new(Chaincode))
}

// newServer configures chaincode-as-a-service mode from the environment.
func newServer(addr string, getenv func(string) string) (*shim.ChaincodeServer, error) {
	ccid := getenv("CHAINCODE_ID")
	if ccid == "" {
		return nil, errors.New("CHAINCODE_ID must be set with CHAINCODE_SERVER_ADDRESS")
	}
	server := &shim.ChaincodeServer{
		CCID:     ccid,
		Address:  addr,
		CC:       new(Chaincode),
		TLSProps: shim.TLSProperties{Disabled: true},
	}
	certFile, keyFile := getenv("CHAINCODE_TLS_CERT"), getenv("CHAINCODE_TLS_KEY")
	if certFile == "" && keyFile == "" {
		return server, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, errors.New("CHAINCODE_TLS_CERT and CHAINCODE_TLS_KEY must be set together")
	}
	cert, err := os.ReadFile(certFile)
	if err != nil {
		return nil, err
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	server.TLSProps = shim.TLSProperties{Cert: cert, Key: key}
	if caFile := getenv("CHAINCODE_CLIENT_CA_CERT"); caFile != "" {
		if server.TLSProps.ClientCACerts, err = os.ReadFile(caFile); err != nil {
			return nil, err
		}
	}
	return server, nil
}

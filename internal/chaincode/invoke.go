package chaincode

// Invoke and query, and waiting until a new definition answers queries.

import (
	"fmt"
	"strings"
	"time"

	pb "github.com/hyperledger/fabric-protos-go/peer"
	"github.com/hyperledger/fabric-sdk-go/pkg/client/channel"
	"github.com/hyperledger/fabric-sdk-go/pkg/common/providers/fab"

	"github.com/fabrun/fabrun/internal/fabricclient"
	"github.com/fabrun/fabrun/internal/module"
)

func ccRequest(a Args) channel.Request {
	return channel.Request{ChaincodeID: a.Name, Fcn: a.CallArgs[0], Args: fabricclient.ChaincodeArgs(a.CallArgs[1:]), IsInit: a.IsInit}
}

// openCall opens a session and a channel client for a call of the
// chaincode; example shows args in the error when they name no function.
func openCall(a Args, orderer, endorsers bool, example string) (*session, *channel.Client, error) {
	if len(a.CallArgs) == 0 {
		return nil, nil, fmt.Errorf("args must name the function, e.g. %s", example)
	}
	s, err := open(a, orderer, endorsers)
	if err != nil {
		return nil, nil, err
	}
	cc, err := channel.New(s.ChannelProvider(a.ChannelID))
	if err != nil {
		err = s.peerErr(fmt.Sprintf("channel client for %s", a.ChannelID), err)
		s.Close()
		return nil, nil, err
	}
	return s, cc, nil
}

func invoked(ctx *module.Context, a Args) (module.Result, error) {
	s, cc, err := openCall(a, true, true, `[invoke, a, b, "10"]`)
	if err != nil {
		return module.Result{}, err
	}
	defer s.Close()
	data := map[string]any{"name": a.Name, "channel_id": a.ChannelID, "args": a.CallArgs}
	if ctx.CheckMode() {
		// Endorse only: the result the invoke would have, nothing ordered.
		resp, err := cc.Query(ccRequest(a), channel.WithTargetEndpoints(s.allPeers()...), channel.WithTimeout(fab.Query, s.Cfg.Timeout))
		if err != nil {
			return module.Result{}, ccFailure(a, "simulating", err)
		}
		data["payload"] = string(resp.Payload)
		return module.Result{Changed: true, Data: data, Msg: "invoke simulated (check mode): nothing was submitted"}, nil
	}
	start := time.Now()
	resp, err := cc.Execute(ccRequest(a), channel.WithTargetEndpoints(s.allPeers()...), channel.WithTimeout(fab.Execute, s.Cfg.Timeout))
	if err != nil {
		return module.Result{}, ccFailure(a, "invoking", err)
	}
	data["payload"] = string(resp.Payload)
	data["tx_id"] = string(resp.TransactionID)
	data["validation_code"] = resp.TxValidationCode.String()
	data["elapsed"] = time.Since(start).Seconds()
	if resp.TxValidationCode != pb.TxValidationCode_VALID {
		return module.Result{Data: data}, fmt.Errorf("invoke of %s was rejected at commit: %s", a.Name, resp.TxValidationCode)
	}
	return module.Result{Changed: true, Data: data, Msg: fmt.Sprintf("transaction %s committed", resp.TransactionID)}, nil
}

func queried(_ *module.Context, a Args) (module.Result, error) {
	s, cc, err := openCall(a, false, false, "[query, a]")
	if err != nil {
		return module.Result{}, err
	}
	defer s.Close()
	resp, err := cc.Query(ccRequest(a), channel.WithTargetEndpoints(s.PeerNames[0]), channel.WithTimeout(fab.Query, s.Cfg.Timeout))
	if err != nil {
		return module.Result{}, ccFailure(a, "querying", err)
	}
	return module.Result{Data: map[string]any{"name": a.Name, "channel_id": a.ChannelID, "args": a.CallArgs,
		"payload": string(resp.Payload), "peer": a.Peer}}, nil
}

// waitReady polls the chaincode with a query until it answers: a result or
// an error from the chaincode itself both prove it runs; a launch or
// simulation failure does not.
func (s *session) waitReady(name string, readyArgs []string, deadline time.Time) error {
	if len(readyArgs) == 0 {
		readyArgs = []string{"fabrun_ready_probe"}
	}
	cc, err := channel.New(s.ChannelProvider(s.a.ChannelID))
	if err != nil {
		return fmt.Errorf("channel client for %s: %v", s.a.ChannelID, err)
	}
	var last error
	for {
		for _, p := range s.allPeers() {
			_, err := cc.Query(channel.Request{ChaincodeID: name, Fcn: readyArgs[0], Args: fabricclient.ChaincodeArgs(readyArgs[1:])},
				channel.WithTargetEndpoints(p), channel.WithTimeout(fab.Query, 30*time.Second))
			if err != nil {
				if st := peerAnswer(err); st != nil && !isInfra(st) {
					err = nil // the chaincode answered with its own error
				}
			}
			if err != nil {
				last = err
				break
			}
			last = nil
		}
		if last == nil {
			return nil
		}
		if msg, _, ok := EndorserMessage(last); ok && (strings.Contains(msg, "could not launch") || strings.Contains(msg, "external builder")) {
			return launchErr(fmt.Sprintf("chaincode %s does not start", name), last)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("chaincode %s was committed but does not answer queries within the timeout: %s", name, fabricclient.ShortError(last))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

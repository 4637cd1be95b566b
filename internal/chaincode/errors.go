package chaincode

// How a failure reads: the peer's or the chaincode's answer, a launch
// failure, an unreachable node.

import (
	"fmt"
	"net/http"
	"strings"

	pb "github.com/hyperledger/fabric-protos-go/peer"
	"github.com/hyperledger/fabric-sdk-go/pkg/common/errors/multi"
	"github.com/hyperledger/fabric-sdk-go/pkg/common/errors/status"
	"github.com/pkg/errors"

	"github.com/fabrun/fabrun/internal/fabricclient"
)

func (s *session) peerErr(what string, err error) error {
	if fabricclient.Unreachable(err) {
		return fmt.Errorf("%s: peer %s is unreachable (%s): %s", what, s.a.Peer, s.UnreachableHint("peer"), fabricclient.ShortError(err))
	}
	if msg, code, ok := EndorserMessage(err); ok {
		return fmt.Errorf("%s: the peer answered (status %d): %s", what, code, msg)
	}
	return fmt.Errorf("%s: %s", what, fabricclient.ShortError(err))
}

// launchErr words a failed instantiate/upgrade/commit: a build or launch
// failure, or the chaincode's own Init error.
func launchErr(what string, err error) error {
	msg, code, ok := EndorserMessage(err)
	if !ok {
		if fabricclient.Unreachable(err) {
			return fmt.Errorf("%s: a peer or the orderer is unreachable: %s", what, fabricclient.ShortError(err))
		}
		return fmt.Errorf("%s: %s", what, fabricclient.ShortError(err))
	}
	if strings.Contains(msg, "could not launch chaincode") || strings.Contains(msg, "external builder") || strings.Contains(msg, "chaincode registration failed") {
		return fmt.Errorf("%s: the peer could not build or start the chaincode (status %d): %s (the builder's output is in the peer's log)", what, code, msg)
	}
	return fmt.Errorf("%s (status %d): %s", what, code, msg)
}

// isInfra tells a failure of the peer (the chaincode is not defined, not
// running, cannot launch) from the chaincode's own error answer. The SDK
// marks a chaincode name the peer does not know with its own code; for the
// rest Fabric answers both kinds with status 500, and only the peer's
// wording of its own failures tells them apart.
func isInfra(st *status.Status) bool {
	if st.Group == status.EndorserClientStatus && st.Code == int32(status.ChaincodeNameNotFound) {
		return true
	}
	return isInfraMessage(st.Message)
}

func isInfraMessage(msg string) bool {
	return strings.HasPrefix(msg, "error in simulation") || strings.Contains(msg, "make sure the chaincode") ||
		strings.Contains(msg, "could not launch") || strings.Contains(msg, "chaincode definition")
}

// EndorserMessage finds the peer's answer in an SDK error: the status and
// message of a failed proposal (a chaincode error's own text).
func EndorserMessage(err error) (string, int32, bool) {
	if st := peerAnswer(err); st != nil {
		return st.Message, st.Code, true
	}
	return "", 0, false
}

// peerAnswer is the status of a failed proposal in an SDK error chain: the
// endorser's or chaincode's answer, or the SDK's "chaincode not found"
// reading of it; nil when no peer answered.
func peerAnswer(err error) *status.Status {
	for err != nil {
		switch e := err.(type) {
		case *status.Status:
			if e.Group == status.EndorserServerStatus || e.Group == status.ChaincodeStatus ||
				e.Group == status.EndorserClientStatus && e.Code == int32(status.ChaincodeNameNotFound) {
				return e
			}
			for _, d := range e.Details {
				if de, ok := d.(error); ok {
					if st := peerAnswer(de); st != nil {
						return st
					}
				}
			}
			return nil
		case multi.Errors:
			for _, x := range e {
				if st := peerAnswer(x); st != nil {
					return st
				}
			}
			return nil
		}
		cause := errors.Cause(err)
		if cause == err {
			u, ok := err.(interface{ Unwrap() error })
			if !ok {
				return nil
			}
			cause = u.Unwrap()
		}
		err = cause
	}
	return nil
}

func ccFailure(a Args, what string, err error) error {
	if st := peerAnswer(err); st != nil {
		if isInfra(st) {
			return fmt.Errorf("%s %s on channel %s failed (status %d): %s", what, a.Name, a.ChannelID, st.Code, st.Message)
		}
		return fmt.Errorf("chaincode %s on channel %s returned an error (status %d): %s", a.Name, a.ChannelID, st.Code, st.Message)
	}
	if st, ok := err.(*status.Status); ok && st.Group == status.EventServerStatus {
		return fmt.Errorf("%s %s on channel %s: the transaction was rejected at commit: %s", what, a.Name, a.ChannelID, pb.TxValidationCode(st.Code))
	}
	if fabricclient.Unreachable(err) {
		return fmt.Errorf("%s %s on channel %s failed: a peer or the orderer is unreachable: %s", what, a.Name, a.ChannelID, fabricclient.ShortError(err))
	}
	return fmt.Errorf("%s %s on channel %s failed: %s", what, a.Name, a.ChannelID, fabricclient.ShortError(err))
}

// notFound recognises the lifecycle's "no such definition" answers:
// Fabric's lifecycle answers an undefined chaincode (namespace not defined)
// or a missing package with status 404; a missing approval is a plain
// failure (500), known only by its text.
func notFound(err error) bool {
	st := peerAnswer(err)
	if st == nil {
		return false
	}
	return st.Code == http.StatusNotFound || strings.Contains(st.Message, "could not fetch approved chaincode definition")
}

package configtx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/golang/protobuf/proto"
	"github.com/hyperledger/fabric-config/protolator"
	cb "github.com/hyperledger/fabric-protos-go/common"
)

// volatile are the fields of a block or envelope that differ between two
// encodings of the same configuration: the header timestamp, the genesis
// block's random nonce and the tx id and data hash derived from it, and
// signatures (a signed copy of a transaction carries the same update).
// They are dropped everywhere except inside the configuration itself.
var volatile = map[string]bool{
	"timestamp":  true,
	"nonce":      true,
	"tx_id":      true,
	"data_hash":  true,
	"signature":  true,
	"signatures": true,
}

// Decoded is an artifact decoded to JSON (as configtxlator proto_decode
// prints it), with the volatile fields removed.
type Decoded struct {
	Kind Kind
	Tree map[string]any
}

// DecodeArtifact decodes an encoded artifact of the given kind. It fails when
// data is not an artifact of that kind.
func DecodeArtifact(kind Kind, data []byte) (*Decoded, error) {
	var msg proto.Message
	switch kind {
	case GenesisBlock:
		b := &cb.Block{}
		if err := proto.Unmarshal(data, b); err != nil {
			return nil, fmt.Errorf("not a block: %v", err)
		}
		if b.Header == nil || b.Data == nil || len(b.Data.Data) != 1 || b.Header.Number != 0 {
			return nil, fmt.Errorf("not a genesis block")
		}
		if _, err := envelopeType(b.Data.Data[0], cb.HeaderType_CONFIG); err != nil {
			return nil, fmt.Errorf("not a genesis block: %v", err)
		}
		msg = b
	case ChannelTx, AnchorTx:
		if _, err := envelopeType(data, cb.HeaderType_CONFIG_UPDATE); err != nil {
			return nil, fmt.Errorf("not a config update transaction: %v", err)
		}
		env := &cb.Envelope{}
		if err := proto.Unmarshal(data, env); err != nil {
			return nil, err
		}
		msg = env
	default:
		return nil, fmt.Errorf("unknown kind %q", kind)
	}
	var buf bytes.Buffer
	if err := protolator.DeepMarshalJSON(&buf, msg); err != nil {
		return nil, fmt.Errorf("cannot decode: %v", err)
	}
	var tree map[string]any
	if err := json.Unmarshal(buf.Bytes(), &tree); err != nil {
		return nil, err
	}
	stripVolatile(tree)
	return &Decoded{Kind: kind, Tree: tree}, nil
}

func envelopeType(data []byte, want cb.HeaderType) (*cb.ChannelHeader, error) {
	env := &cb.Envelope{}
	if err := proto.Unmarshal(data, env); err != nil {
		return nil, err
	}
	payload := &cb.Payload{}
	if err := proto.Unmarshal(env.Payload, payload); err != nil {
		return nil, err
	}
	if payload.Header == nil {
		return nil, fmt.Errorf("no payload header")
	}
	ch := &cb.ChannelHeader{}
	if err := proto.Unmarshal(payload.Header.ChannelHeader, ch); err != nil {
		return nil, err
	}
	if ch.Type != int32(want) {
		return nil, fmt.Errorf("header type is %s, not %s", cb.HeaderType(ch.Type), want)
	}
	return ch, nil
}

// stripVolatile removes volatile fields outside the configuration proper
// (the "config" of a block, the "config_update" of a transaction).
func stripVolatile(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if volatile[k] {
				delete(t, k)
				continue
			}
			if k == "config" || k == "config_update" {
				continue
			}
			stripVolatile(e)
		}
	case []any:
		for _, e := range t {
			stripVolatile(e)
		}
	}
}

// Equal reports whether two decoded artifacts encode the same configuration.
func (d *Decoded) Equal(o *Decoded) bool {
	return d.Kind == o.Kind && reflect.DeepEqual(d.Tree, o.Tree)
}

// Text renders the decoded artifact as indented JSON with sorted keys.
func (d *Decoded) Text() string {
	if d == nil {
		return ""
	}
	b, err := json.MarshalIndent(d.Tree, "", "  ")
	if err != nil {
		return fmt.Sprintf("(cannot render: %v)", err)
	}
	return string(b) + "\n"
}

// Differences lists where two decoded artifacts differ, as
// "path: before -> after" lines (at most max of them, then a count).
func Differences(before, after *Decoded, max int) []string {
	var out []string
	diffValues("", before.Tree, after.Tree, &out)
	sort.Strings(out)
	if max > 0 && len(out) > max {
		n := len(out) - max
		out = append(out[:max], fmt.Sprintf("... and %d more", n))
	}
	return out
}

// shortPath drops the envelope plumbing in front of the configuration.
func shortPath(p string) string {
	for _, prefix := range []string{"data.data[0].payload.data.config.", "payload.data.config_update."} {
		if strings.HasPrefix(p, prefix) {
			return p[len(prefix):]
		}
	}
	return p
}

func diffValues(path string, a, b any, out *[]string) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		for k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			av, ain := am[k]
			bv, bin := bm[k]
			switch {
			case !ain:
				*out = append(*out, fmt.Sprintf("%s: added %s", shortPath(p), brief(bv)))
			case !bin:
				*out = append(*out, fmt.Sprintf("%s: removed (was %s)", shortPath(p), brief(av)))
			default:
				diffValues(p, av, bv, out)
			}
		}
		return
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok && len(al) == len(bl) {
		for i := range al {
			diffValues(fmt.Sprintf("%s[%d]", path, i), al[i], bl[i], out)
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, fmt.Sprintf("%s: %s -> %s", shortPath(path), brief(a), brief(b)))
	}
}

func brief(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

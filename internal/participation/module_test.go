package participation

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/golang/protobuf/proto"
	"github.com/hyperledger/fabric-protos-go/common"

	"github.com/fabrun/fabrun/internal/fabricclient"
	"github.com/fabrun/fabrun/internal/module"
)

// fakeOrderer is an orderer's channel participation API as Fabric v2.5
// answers it (orderer/common/channelparticipation/restapi.go), over TLS
// that requires a client certificate.
type fakeOrderer struct {
	mu       sync.Mutex
	system   string
	channels []string
	posts    int
	deletes  int
}

func (f *fakeOrderer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	name := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, channelsPath), "/")
	info := func(n string) ChannelInfo {
		return ChannelInfo{Name: n, URL: channelsPath + "/" + n, ConsensusRelation: "consenter", Status: "active", Height: 1}
	}
	switch {
	case r.Method == http.MethodGet && name == "":
		l := ChannelList{}
		if f.system != "" {
			l.SystemChannel = &ChannelRef{Name: f.system}
		}
		for _, c := range f.channels {
			l.Channels = append(l.Channels, ChannelRef{Name: c})
		}
		json.NewEncoder(w).Encode(l)
	case r.Method == http.MethodGet:
		if !slices.Contains(f.channels, name) && name != f.system {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":"channel does not exist"}`)
			return
		}
		json.NewEncoder(w).Encode(info(name))
	case r.Method == http.MethodPost && name == "":
		f.posts++
		_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		form, err := multipart.NewReader(r.Body, params["boundary"]).ReadForm(1 << 20)
		if err != nil || len(form.File[configBlockField]) != 1 {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"form does not contains part key: config-block"}`)
			return
		}
		file, _ := form.File[configBlockField][0].Open()
		raw, _ := io.ReadAll(file)
		b := &common.Block{}
		proto.Unmarshal(raw, b)
		ch, _ := fabricclient.BlockChannel(b)
		f.channels = append(f.channels, ch)
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(info(ch))
	case r.Method == http.MethodDelete:
		f.deletes++
		if name == f.system {
			f.system = ""
		} else {
			f.channels = slices.DeleteFunc(f.channels, func(c string) bool { return c == name })
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

// blockFile writes a genesis block of channel.
func blockFile(t *testing.T, dir, channel string) string {
	t.Helper()
	chdr, _ := proto.Marshal(&common.ChannelHeader{Type: int32(common.HeaderType_CONFIG), ChannelId: channel})
	payload, _ := proto.Marshal(&common.Payload{Header: &common.Header{ChannelHeader: chdr}})
	env, _ := proto.Marshal(&common.Envelope{Payload: payload})
	raw, _ := proto.Marshal(&common.Block{Header: &common.BlockHeader{Number: 0}, Data: &common.BlockData{Data: [][]byte{env}}})
	p := filepath.Join(dir, channel+".block")
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestModule runs fabric_orderer_channel against the fake API: each state
// changes only what differs, check mode sends nothing, and the refusals
// name what to do.
func TestModule(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name           string
		system         string
		channels       []string
		args           map[string]any
		check          bool
		changed        bool
		wantErr        string
		after          []string
		posts, deletes int
	}{
		{"join", "", []string{"mychannel"}, map[string]any{"state": "joined", "channel_id": "newchannel"}, false, true, "",
			[]string{"mychannel", "newchannel"}, 1, 0},
		{"join again", "", []string{"mychannel", "newchannel"}, map[string]any{"state": "joined", "channel_id": "newchannel"}, false, false, "",
			[]string{"mychannel", "newchannel"}, 0, 0},
		{"join in check mode", "", nil, map[string]any{"state": "joined", "channel_id": "newchannel"}, true, true, "", nil, 0, 0},
		{"join beside a system channel", "system-channel", []string{"mychannel"}, map[string]any{"state": "joined", "channel_id": "newchannel"}, false, false,
			"still has the system channel system-channel", []string{"mychannel"}, 0, 0},
		{"block of another channel", "", nil, map[string]any{"state": "joined", "channel_id": "otherchannel", "block_path": "newchannel"}, false, false,
			`is a block of channel "newchannel", not channel_id "otherchannel"`, nil, 0, 0},
		{"remove the system channel", "system-channel", []string{"mychannel"}, map[string]any{"state": "absent", "channel_id": "system-channel"}, false, true, "",
			[]string{"mychannel"}, 0, 1},
		{"remove again", "", []string{"mychannel"}, map[string]any{"state": "absent", "channel_id": "system-channel"}, false, false, "",
			[]string{"mychannel"}, 0, 0},
		{"remove in check mode", "", []string{"mychannel"}, map[string]any{"state": "absent", "channel_id": "mychannel"}, true, true, "",
			[]string{"mychannel"}, 0, 0},
		{"list", "system-channel", []string{"mychannel"}, map[string]any{"state": "listed"}, false, false, "", []string{"mychannel"}, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeOrderer{system: tc.system, channels: slices.Clone(tc.channels)}
			srv := httptest.NewUnstartedServer(f)
			srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
			srv.StartTLS()
			defer srv.Close()
			// The server's own pair is the CA and the client identity.
			cert := filepath.Join(dir, "cert.pem")
			key := filepath.Join(dir, "key.pem")
			der, _ := x509.MarshalPKCS8PrivateKey(srv.TLS.Certificates[0].PrivateKey)
			os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644)
			os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
			args := map[string]any{"admin_address": srv.Listener.Addr().String(), "admin_tls_ca": cert, "admin_tls_cert": cert,
				"admin_tls_key": key, "_ansible_check_mode": tc.check}
			for k, v := range tc.args {
				args[k] = v
			}
			if tc.args["state"] == "joined" {
				block := "newchannel"
				if b, ok := tc.args["block_path"].(string); ok {
					block = b
				}
				args["block_path"] = blockFile(t, dir, block)
			}
			data, _ := json.Marshal(args)
			out := module.Execute(Spec(), data, Run)
			msg, _ := out["msg"].(string)
			if tc.wantErr != "" {
				if out["failed"] != true || !strings.Contains(msg, tc.wantErr) {
					t.Fatalf("got %v, want failure %q", out, tc.wantErr)
				}
			} else if out["failed"] == true || out["changed"] != tc.changed {
				t.Fatalf("got %v, want changed=%v", out, tc.changed)
			}
			if !slices.Equal(f.channels, tc.after) || f.posts != tc.posts || f.deletes != tc.deletes {
				t.Errorf("orderer has %v after %d joins and %d removals, want %v, %d, %d", f.channels, f.posts, f.deletes, tc.after, tc.posts, tc.deletes)
			}
			if strings.Contains(string(mustJSON(out)), "PRIVATE KEY") {
				t.Errorf("the key's content is in the result")
			}
		})
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

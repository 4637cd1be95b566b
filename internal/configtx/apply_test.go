package configtx

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fabrun/fabrun/internal/module"
)

func mustGenerate(t *testing.T, c map[string]any, dir string, req Request) *Artifact {
	t.Helper()
	art, err := generateInline(t, roundTrip(t, c), dir, req)
	if err != nil {
		t.Fatal(err)
	}
	return art
}

var genesisReq = Request{Kind: GenesisBlock, Profile: "TwoOrgsOrdererGenesis", ChannelID: "system-channel"}

// TestConfigtxSameConfigDecodesEqual: two generations differ in bytes
// (timestamp, nonce) but decode to the same configuration; a changed
// setting is found and named.
func TestConfigtxSameConfigDecodesEqual(t *testing.T) {
	dir := fixture(t)
	r1, r2 := genesisReq, genesisReq
	r1.Now, r2.Now = time.Unix(1000, 0), time.Unix(2000, 0)
	a := mustGenerate(t, seedConfig(), dir, r1)
	b := mustGenerate(t, seedConfig(), dir, r2)
	if bytes.Equal(a.Bytes, b.Bytes) {
		t.Fatal("two genesis blocks are byte-identical: nonce or timestamp missing")
	}
	da, _ := DecodeArtifact(GenesisBlock, a.Bytes)
	db, _ := DecodeArtifact(GenesisBlock, b.Bytes)
	if !da.Equal(db) {
		t.Fatalf("same configuration decodes differently: %v", Differences(da, db, 10))
	}
	c := seedConfig()
	set(t, c, []any{"Profiles", "TwoOrgsOrdererGenesis", "Orderer", "BatchSize", "MaxMessageCount"}, 20)
	dc, _ := DecodeArtifact(GenesisBlock, mustGenerate(t, c, dir, genesisReq).Bytes)
	diff := Differences(da, dc, 10)
	if da.Equal(dc) || len(diff) != 1 || !strings.Contains(diff[0], "channel_group.groups.Orderer.values.BatchSize.value.max_message_count: 10 -> 20") {
		t.Fatalf("differences %v", diff)
	}
	for _, k := range []Kind{ChannelTx, AnchorTx} {
		if _, err := DecodeArtifact(k, a.Bytes); err == nil {
			t.Errorf("a block decoded as %s", k)
		}
	}
	if _, err := DecodeArtifact(GenesisBlock, []byte("not a block")); err == nil {
		t.Error("garbage decoded as a block")
	}
}

func readOrNil(path string) []byte {
	b, _ := os.ReadFile(path)
	return b
}

// TestConfigtxApply covers the idempotence and safety rules: write, leave
// alone, refuse a different genesis block without force, replace it with
// force, write nothing in check mode, regenerate transactions freely.
func TestConfigtxApply(t *testing.T) {
	dir := fixture(t)
	out := filepath.Join(dir, "artifacts", "sub", "genesis.block")
	kafka := mustGenerate(t, seedConfig(), dir, genesisReq)

	// Check mode on a missing file: changed, nothing written, diff shows the new config.
	res, err := Apply(kafka, out, false, true)
	if err != nil || !res.Changed || readOrNil(out) != nil {
		t.Fatalf("check mode: changed=%v err=%v file=%v", res.Changed, err, readOrNil(out) != nil)
	}
	if len(res.Diff) != 1 || res.Diff[0].Before != "" || !strings.Contains(res.Diff[0].After, `"KafkaBrokers"`) {
		t.Fatalf("check mode diff %+v", res.Diff)
	}

	// First run writes (creating directories), 0640, no temp files left.
	if res, err = Apply(kafka, out, false, false); err != nil || !res.Changed {
		t.Fatalf("first apply: changed=%v err=%v", res.Changed, err)
	}
	first := readOrNil(out)
	if !bytes.Equal(first, kafka.Bytes) {
		t.Fatal("written bytes differ from the artifact")
	}
	if st, _ := os.Stat(out); st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 1 {
		t.Errorf("leftover files: %v", entries)
	}
	if res.Data["summary"].(Summary).OrdererType != "kafka" || res.Data["channel_id"] != "system-channel" || res.Data["kind"] != "genesis_block" {
		t.Errorf("data %v", res.Data)
	}

	// The same configuration regenerated (new nonce, new time): unchanged, file untouched.
	again := mustGenerate(t, seedConfig(), dir, Request{Kind: GenesisBlock, Profile: "TwoOrgsOrdererGenesis", ChannelID: "system-channel", Now: time.Now().Add(time.Hour)})
	st1, _ := os.Stat(out)
	if res, err = Apply(again, out, false, false); err != nil || res.Changed {
		t.Fatalf("second apply: changed=%v err=%v", res.Changed, err)
	}
	st2, _ := os.Stat(out)
	if !bytes.Equal(readOrNil(out), first) || !st1.ModTime().Equal(st2.ModTime()) {
		t.Fatal("an equivalent genesis block was rewritten")
	}

	// A different configuration: refused without force, even in check mode, file untouched.
	c := seedConfig()
	set(t, c, []any{"Profiles", "TwoOrgsOrdererGenesis", "Orderer", "Kafka", "Brokers"}, []any{"kafka0:9092"})
	changed := mustGenerate(t, c, dir, genesisReq)
	for _, check := range []bool{true, false} {
		_, err = Apply(changed, out, false, check)
		if err == nil || !strings.Contains(err.Error(), "refusing to overwrite the genesis block") ||
			!strings.Contains(err.Error(), "KafkaBrokers") || !strings.Contains(err.Error(), "force: true") {
			t.Fatalf("check=%v: want a refusal naming the difference, got %v", check, err)
		}
	}
	if !bytes.Equal(readOrNil(out), first) {
		t.Fatal("refused genesis block was modified")
	}

	// With force in check mode: changed, diff before/after, nothing written.
	res, err = Apply(changed, out, true, true)
	if err != nil || !res.Changed || !bytes.Equal(readOrNil(out), first) {
		t.Fatalf("force+check: changed=%v err=%v", res.Changed, err)
	}
	if len(res.Diff) != 1 || !strings.Contains(res.Diff[0].Before, "kafka2:9092") || strings.Contains(res.Diff[0].After, "kafka2:9092") {
		t.Fatalf("force+check diff does not show the brokers change")
	}
	// With force: replaced.
	if res, err = Apply(changed, out, true, false); err != nil || !res.Changed || !bytes.Equal(readOrNil(out), changed.Bytes) {
		t.Fatalf("force: changed=%v err=%v", res.Changed, err)
	}

	// A file that is not a block is never taken for one.
	writeFile(t, out, []byte("garbage"))
	if _, err = Apply(kafka, out, false, false); err == nil || !strings.Contains(err.Error(), "not a valid genesis block") {
		t.Fatalf("garbage: %v", err)
	}

	// Transactions are regenerated when they differ, without force.
	txOut := filepath.Join(dir, "artifacts", "mychannel.tx")
	tx := mustGenerate(t, seedConfig(), dir, Request{Kind: ChannelTx, Profile: "TwoOrgsChannel", ChannelID: "mychannel"})
	if res, err = Apply(tx, txOut, false, false); err != nil || !res.Changed {
		t.Fatal(err)
	}
	if res, err = Apply(tx, txOut, false, false); err != nil || res.Changed {
		t.Fatalf("same tx: changed=%v err=%v", res.Changed, err)
	}
	tx2 := mustGenerate(t, seedConfig(), dir, Request{Kind: ChannelTx, Profile: "TwoOrgsChannel", ChannelID: "otherchannel"})
	if res, err = Apply(tx2, txOut, false, false); err != nil || !res.Changed || !bytes.Equal(readOrNil(txOut), tx2.Bytes) {
		t.Fatalf("different tx: changed=%v err=%v", res.Changed, err)
	}
}

// TestConfigtxModule runs the module body through the protocol package, as
// Ansible would: inline config, check and diff modes, required org.
func TestConfigtxModule(t *testing.T) {
	dir := fixture(t)
	out := filepath.Join(dir, "genesis.block")
	args := func(extra map[string]any) []byte {
		a := map[string]any{"config": seedConfig(), "base_dir": dir, "profile": "TwoOrgsOrdererGenesis",
			"kind": "genesis_block", "channel_id": "system-channel", "output": out}
		for k, v := range extra {
			a[k] = v
		}
		b, _ := json.Marshal(a)
		return b
	}
	run := func(extra map[string]any) map[string]any {
		o := module.Execute(Spec, args(extra), Run)
		var buf bytes.Buffer
		module.Write(&buf, o)
		var back map[string]any
		if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
			t.Fatal(err)
		}
		return back
	}
	o := run(map[string]any{"_ansible_check_mode": true, "_ansible_diff": true})
	if o["changed"] != true || o["failed"] == true || readOrNil(out) != nil {
		t.Fatalf("check mode: %v", o["msg"])
	}
	diff, _ := o["diff"].(map[string]any)
	if diff == nil || !strings.Contains(diff["after"].(string), "SampleConsortium") {
		t.Fatalf("no readable diff in check mode: %v", o["diff"])
	}
	if o = run(nil); o["changed"] != true || o["failed"] == true {
		t.Fatalf("first run: %v", o["msg"])
	}
	if o = run(nil); o["changed"] != false || o["failed"] == true {
		t.Fatalf("second run: %v", o["msg"])
	}
	summary, _ := o["summary"].(map[string]any)
	if o["output"] != out || o["channel_id"] != "system-channel" || o["kind"] != "genesis_block" || summary["orderer_type"] != "kafka" || o["sha256"] == nil {
		t.Fatalf("return values: %v", o)
	}
	if o = run(map[string]any{"kind": "anchor_tx"}); o["failed"] != true || !strings.Contains(o["msg"].(string), "org") {
		t.Fatalf("anchor_tx without org: %v", o)
	}
	if o = run(map[string]any{"config_file": "/x"}); o["failed"] != true || !strings.Contains(o["msg"].(string), "mutually exclusive") {
		t.Fatalf("config and config_file: %v", o)
	}
	if o = run(map[string]any{"kind": "block"}); o["failed"] != true {
		t.Fatalf("bad kind accepted: %v", o)
	}
	bad := seedConfig()
	set(t, bad, []any{"Profiles", "TwoOrgsOrdererGenesis", "Bogus"}, 1)
	if o = run(map[string]any{"config": bad}); o["failed"] != true || !strings.Contains(o["msg"].(string), `config: Profiles.TwoOrgsOrdererGenesis: unknown field "Bogus"`) {
		t.Fatalf("unknown field: %v", o["msg"])
	}
}

// BenchmarkConfigtxGenesis: producing the seed's kafka genesis block in
// process (parsing excluded; MSP loading and encoding included).
func BenchmarkConfigtxGenesis(b *testing.B) {
	dir := fixture(b)
	top, err := Decode(seedConfig())
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		if _, err := Generate(top, dir, genesisReq); err != nil {
			b.Fatal(err)
		}
	}
}

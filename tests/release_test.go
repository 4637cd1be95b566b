package tests

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// releaseFile is one entry of a release archive the test packs.
type releaseFile struct {
	name string
	mode int64
	data []byte
}

// writeTarGz packs files into a gzipped tarball at out, directories first,
// as release tarballs are laid out.
func writeTarGz(t testing.TB, out string, files []releaseFile) {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	tw := tar.NewWriter(gz)
	dirs := map[string]bool{}
	for _, e := range files {
		for d := path.Dir(e.name); d != "." && !dirs[d]; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	var dirList []string
	for d := range dirs {
		dirList = append(dirList, d)
	}
	sort.Strings(dirList)
	for _, d := range dirList {
		if err := tw.WriteHeader(&tar.Header{Name: d + "/", Mode: 0o755, Typeflag: tar.TypeDir}); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range files {
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: e.mode, Size: int64(len(e.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []io.Closer{tw, gz} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// walkTarGz calls visit with each entry of a gzipped tarball.
func walkTarGz(t testing.TB, p string, visit func(h *tar.Header, r io.Reader)) {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	walkTarGzReader(t, p, f, visit)
}

// walkTarGzReader calls visit for every entry of the gzipped tarball r,
// named name in errors.
func walkTarGzReader(t testing.TB, name string, r io.Reader, visit func(h *tar.Header, r io.Reader)) {
	t.Helper()
	gz, err := gzip.NewReader(r)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		visit(h, tr)
	}
}

// readTarGz returns the regular files of a gzipped tarball by name.
func readTarGz(t testing.TB, p string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	walkTarGz(t, p, func(h *tar.Header, r io.Reader) {
		if h.Typeflag != tar.TypeReg {
			return
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("%s: %s: %v", p, h.Name, err)
		}
		out[h.Name] = b
	})
	return out
}

func sha256File(t testing.TB, p string) string {
	t.Helper()
	sum := sha256.Sum256(mustRead(t, p))
	return hex.EncodeToString(sum[:])
}

// jarsOf lists the libs/*.jar names of a tarball packed as hosts receive it.
func jarsOf(files map[string][]byte) []string {
	var out []string
	for n := range files {
		if strings.HasSuffix(n, ".jar") {
			out = append(out, path.Base(n))
		}
	}
	sort.Strings(out)
	return out
}

// TestReleaseDownloads installs Fabric, ZooKeeper and Kafka from release
// archives served by a real HTTP server on loopback, packed the way the
// official releases are (hyperledger-fabric-linux-amd64-2.5.9.tar.gz with
// bin/peer and bin/orderer; apache-zookeeper-3.8.4-bin.tar.gz with lib/*.jar;
// kafka_2.13-3.9.1.tgz with libs/*.jar, here holding the project's own
// pinned binaries and jars). The roles verify each checksum, install the
// binaries into fabrun_fabric_bin_dir, repack the jars as hosts receive them, and
// unpack them on the host; a second run changes nothing; a wrong checksum
// fails naming the variable and the host and replaces nothing.
func TestReleaseDownloads(t *testing.T) {
	tier(t, "module")
	root := RepoRoot(t)
	peer, orderer := FabricBin(t, "peer"), FabricBin(t, "orderer")
	zkPacked := mustExist(t, filepath.Join(root, "build", "artifacts", "zookeeper-3.8.4.tar.gz"), "make artifacts")
	kafkaPacked := mustExist(t, filepath.Join(root, "build", "artifacts", "kafka-3.9.1.tar.gz"), "make artifacts")

	dir := t.TempDir()
	srv := filepath.Join(dir, "www")
	if err := os.MkdirAll(srv, 0o755); err != nil {
		t.Fatal(err)
	}
	writeTarGz(t, filepath.Join(srv, "hyperledger-fabric-linux-amd64-2.5.9.tar.gz"), []releaseFile{
		{"bin/orderer", 0o755, mustRead(t, orderer)},
		{"bin/peer", 0o755, mustRead(t, peer)},
		{"config/core.yaml", 0o644, []byte("# sample\n")},
	})
	official := func(packed, top, lib, out string) []string {
		var files []releaseFile
		src := readTarGz(t, packed)
		for n, b := range src {
			if strings.HasSuffix(n, ".jar") {
				files = append(files, releaseFile{top + "/" + lib + "/" + path.Base(n), 0o644, b})
			}
		}
		files = append(files, releaseFile{top + "/LICENSE", 0o644, []byte("Apache License 2.0\n")})
		sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
		writeTarGz(t, filepath.Join(srv, out), files)
		return jarsOf(src)
	}
	zkJars := official(zkPacked, "apache-zookeeper-3.8.4-bin", "lib", "apache-zookeeper-3.8.4-bin.tar.gz")
	kafkaJars := official(kafkaPacked, "kafka_2.13-3.9.1", "libs", "kafka_2.13-3.9.1.tgz")

	var mu sync.Mutex
	var requests []string
	served := func() int { mu.Lock(); defer mu.Unlock(); return len(requests) }
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests = append(requests, r.URL.Path)
		mu.Unlock()
		http.FileServer(http.Dir(srv)).ServeHTTP(w, r)
	}))
	t.Cleanup(server.Close)

	sw := filepath.Join(dir, "software")
	home := filepath.Join(dir, "host")
	vars := map[string]string{
		"fabrun_software_dir": sw,
		"fabrun_home":         home,
	}
	for _, r := range []struct{ prefix, file string }{
		{"fabrun_fabric_release", "hyperledger-fabric-linux-amd64-2.5.9.tar.gz"},
		{"zookeeper_release", "apache-zookeeper-3.8.4-bin.tar.gz"},
		{"kafka_release", "kafka_2.13-3.9.1.tgz"},
	} {
		vars[r.prefix+"_url"] = server.URL + "/" + r.file
		vars[r.prefix+"_checksum"] = "sha256:" + sha256File(t, filepath.Join(srv, r.file))
	}
	args := func(override map[string]string) []string {
		var out []string
		for k, v := range vars {
			if o, ok := override[k]; ok {
				v = o
			}
			out = append(out, "-e", k+"="+v)
		}
		return out
	}

	out, changed, failed := testPlaybook(t, "release.yml", args(nil)...)
	if failed != 0 || changed == 0 {
		t.Fatalf("first run: changed=%d failed=%d\n%s", changed, failed, tail(out, 80))
	}
	for _, bin := range []string{"peer", "orderer"} {
		got := filepath.Join(sw, "fabric", "bin", bin)
		if sha256File(t, got) != sha256File(t, filepath.Join(root, "build", "fabric", "bin", bin)) {
			t.Errorf("%s differs from the release's bin/%s", got, bin)
		}
		if st, err := os.Stat(got); err != nil || st.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s is not executable: %v", got, err)
		}
	}
	for _, c := range []struct {
		name string
		jars []string
	}{{"zookeeper-3.8.4", zkJars}, {"kafka-3.9.1", kafkaJars}} {
		repacked := readTarGz(t, filepath.Join(sw, "artifacts", c.name+".tar.gz"))
		for n := range repacked {
			if !strings.HasPrefix(n, c.name+"/") {
				t.Errorf("%s.tar.gz holds %s outside %s/", c.name, n, c.name)
			}
		}
		if got := jarsOf(repacked); strings.Join(got, " ") != strings.Join(c.jars, " ") {
			t.Errorf("%s.tar.gz jars %v, want %v", c.name, got, c.jars)
		}
		if m, _ := filepath.Glob(filepath.Join(home, "bin", c.name, "libs", "*.jar")); len(m) != len(c.jars) {
			t.Errorf("host has %d jars under bin/%s/libs, want %d", len(m), c.name, len(c.jars))
		}
	}
	if n := served(); n != 3 {
		t.Errorf("the server got %d requests, want 3", n)
	}

	if out, changed, failed := testPlaybook(t, "release.yml", args(nil)...); failed != 0 || changed != 0 {
		t.Errorf("second run: changed=%d failed=%d, want 0 and 0\n%s", changed, failed, tail(out, 60))
	}

	// A wrong checksum fails naming the variables and the host, and leaves
	// what is installed as it was.
	sums := map[string]string{}
	keep := []string{"fabric/bin/peer", "fabric/bin/orderer", "artifacts/zookeeper-3.8.4.tar.gz", "artifacts/kafka-3.9.1.tar.gz",
		"downloads/apache-zookeeper-3.8.4-bin.tar.gz", "downloads/hyperledger-fabric-linux-amd64-2.5.9.tar.gz"}
	for _, p := range keep {
		sums[p] = sha256File(t, filepath.Join(sw, p))
	}
	wrong := "sha256:" + strings.Repeat("0", 64)
	for _, prefix := range []string{"zookeeper_release", "fabrun_fabric_release"} {
		out, _, failed := testPlaybook(t, "release.yml", args(map[string]string{prefix + "_checksum": wrong})...)
		if failed == 0 {
			t.Fatalf("%s_checksum wrong: the run did not fail\n%s", prefix, tail(out, 40))
		}
		for _, want := range []string{"localhost: " + prefix + "_url", prefix + "_checksum " + wrong, "nothing was replaced"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s_checksum wrong: the failure lacks %q:\n%s", prefix, want, tail(out, 40))
			}
		}
		for _, p := range keep {
			if got := sha256File(t, filepath.Join(sw, p)); got != sums[p] {
				t.Errorf("%s_checksum wrong: %s was replaced", prefix, p)
			}
		}
	}

	// The URL without a checksum is refused before anything is fetched.
	n := served()
	out, _, failed = testPlaybook(t, "release.yml", args(map[string]string{"kafka_release_checksum": ""})...)
	if failed == 0 || !strings.Contains(out, "kafka_release_checksum must be") || served() != n {
		t.Errorf("kafka_release_url without a checksum: failed=%d, %d new requests:\n%s", failed, served()-n, tail(out, 30))
	}
}

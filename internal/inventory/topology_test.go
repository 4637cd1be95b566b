package inventory

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseZooKeeperConnect(t *testing.T) {
	for _, tc := range []struct {
		connect string
		servers []string
		chroot  string
		err     string
	}{
		{"127.0.194.215:2182,127.0.194.216:2182", []string{"127.0.194.215:2182", "127.0.194.216:2182"}, "", ""},
		{"zk1:2182, zk2:2182/kafka/", []string{"zk1:2182", "zk2:2182"}, "/kafka", ""},
		{"zk1:2182/a/b", []string{"zk1:2182"}, "/a/b", ""},
		{"zk1,zk2:2182", nil, "", `"zk1" is not host:port`},
		{"", nil, "", "is not host:port"},
	} {
		servers, chroot, err := ParseZooKeeperConnect(tc.connect)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want one saying %s", tc.connect, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(servers, tc.servers) || chroot != tc.chroot {
			t.Errorf("%q: %v %q %v, want %v %q", tc.connect, servers, chroot, err, tc.servers, tc.chroot)
		}
	}
}

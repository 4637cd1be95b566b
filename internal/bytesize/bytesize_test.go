package bytesize

import (
	"strconv"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"98 MB", 98 << 20, false},
		{"98 MB", 102760448, false},
		{"98MB", 102760448, false},
		{"98 mb", 102760448, false},
		{"98 M", 102760448, false},
		{"512 KB", 524288, false},
		{"1G", 1 << 30, false},
		{"2 gb", 2 << 30, false},
		{"103809024", 103809024, false},
		{" 10 ", 10, false},
		{"0", 0, false},
		{"", 0, true},
		{"MB", 0, true},
		{"98 TB", 0, true},
		{"98.5 MB", 0, true},
		{"-1", 0, true},
		{"4 GB", 0, true}, // Fabric keeps it in a uint32
		{"4294967296", 0, true},
		{"4095 MB", 4095 << 20, false},
		// n << 30 wraps past 64 bits to 1 GiB: the range check comes first.
		{"17179869185 GB", 0, true},
		{"18446744073709551615 KB", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Parse(%q) err = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Parse(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	for in, want := range map[int64]string{
		102760448: "102760448 (98 MiB)", 103809024: "103809024 (99 MiB)", 1048588: "1048588 (1.0 MiB)",
		524288: "524288 (512 KiB)", 10: "10", 1 << 30: "1073741824 (1 GiB)",
	} {
		if got := Format(in); got != want {
			t.Errorf("Format(%d) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParse: any string parses or fails without panicking; a parsed size
// fits the uint32 Fabric keeps it in, and a plain number reads as itself.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"98 MB", "512 KB", "10485760", "4G", "4294967295", "17179869185 GB", " 1kb ", "-1", "1.5 MB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err != nil {
			return
		}
		if n < 0 || n > 1<<32-1 {
			t.Fatalf("Parse(%q) = %d, outside uint32", s, n)
		}
		if m, err := Parse(strconv.FormatInt(n, 10)); err != nil || m != n {
			t.Fatalf("Parse(%d) = %d, %v", n, m, err)
		}
	})
}

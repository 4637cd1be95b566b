// Package bytesize reads and prints the byte sizes of Fabric's
// configtx.yaml (AbsoluteMaxBytes, PreferredMaxBytes): one reading for the
// fabric_configtx module and for preflight.
package bytesize

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

var sizeRE = regexp.MustCompile(`^(?i)([0-9]+)\s*([kmg])b?$`)

// Parse reads a size the way Fabric reads configtx.yaml's
// AbsoluteMaxBytes and PreferredMaxBytes: a plain number of bytes, or a
// number with K, M or G (optionally followed by B, any case, optional space)
// meaning KiB, MiB or GiB. "98 MB" is 98 × 1024 × 1024 = 102760448 bytes.
// Fabric keeps the result in a uint32, so larger values are an error.
func Parse(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty size")
	}
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		if n > math.MaxUint32 {
			return 0, fmt.Errorf("size %q overflows the 32 bits Fabric keeps it in (at most 4 GiB - 1)", s)
		}
		return int64(n), nil
	}
	m := sizeRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("size %q is neither a number of bytes nor a size such as \"98 MB\" or \"512 KB\" (K, M or G)", s)
	}
	n, err := strconv.ParseUint(m[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: %v", s, err)
	}
	shift := map[string]uint{"k": 10, "m": 20, "g": 30}[strings.ToLower(m[2])]
	if n > math.MaxUint32>>shift {
		return 0, fmt.Errorf("size %q overflows the 32 bits Fabric keeps it in (at most 4 GiB - 1)", s)
	}
	return int64(n << shift), nil
}

// Format prints a byte count with its binary-unit value when exact
// (102760448 -> "102760448 (98 MiB)").
func Format(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d (%d GiB)", n, n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d (%d MiB)", n, n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d (%d KiB)", n, n>>10)
	case n >= 1<<20:
		return fmt.Sprintf("%d (%.1f MiB)", n, float64(n)/(1<<20))
	default:
		return strconv.FormatInt(n, 10)
	}
}

package configtx

import (
	"encoding/pem"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// LoadFile reads a configtx.yaml; relative paths in it (MSPDir, consenter
// certificates) resolve against baseDir, or the file's own directory when
// baseDir is empty — as configtxgen resolves them against its config path.
func LoadFile(path, baseDir string) (*TopLevel, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("config_file: %v", err)
	}
	t, err := ParseYAML(data)
	if err != nil {
		return nil, "", fmt.Errorf("config_file %s: %w", path, err)
	}
	if baseDir == "" {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, "", err
		}
		baseDir = filepath.Dir(abs)
	}
	return t, baseDir, nil
}

// Profile returns the named profile, ready to encode: organization names
// resolved, relative paths made absolute against baseDir, and the orderer
// defaults configtxgen applies filled in. The profile is a copy: t is not
// changed.
func (t *TopLevel) Profile(name, baseDir string) (*Profile, error) {
	if name == "" {
		return nil, fieldErr("profile", "missing")
	}
	p, ok := t.Profiles[name]
	if ok && p == nil {
		return nil, fieldErr("Profiles."+name, "the profile is empty")
	}
	if !ok {
		known := slices.Sorted(maps.Keys(t.Profiles))
		if len(known) == 0 {
			return nil, fieldErr("Profiles", "the configuration defines no profiles (looking for %q)", name)
		}
		return nil, fieldErr("profile", "unknown profile %q (the configuration defines: %s)", name, strings.Join(known, ", "))
	}
	path := "Profiles." + name
	p = deepCopy(p)
	byName := map[string]*Organization{}
	for _, o := range t.Organizations {
		if o != nil && o.Name != "" {
			byName[o.Name] = o
		}
	}
	resolve := func(opath string, orgs []*Organization) error {
		for i, o := range orgs {
			if o == nil {
				return fieldErr(fmt.Sprintf("%s[%d]", opath, i), "empty organization")
			}
			if o.ref != "" {
				def, ok := byName[o.ref]
				if !ok {
					return fieldErr(fmt.Sprintf("%s[%d]", opath, i), "unknown organization %q (Organizations defines: %s)", o.ref, strings.Join(slices.Sorted(maps.Keys(byName)), ", "))
				}
				orgs[i] = deepCopy(def)
			}
			if err := translate(orgPath(opath, i, orgs[i])+".MSPDir", baseDir, &orgs[i].MSPDir); err != nil {
				return err
			}
		}
		return nil
	}
	if p.Orderer != nil {
		if err := resolve(path+".Orderer.Organizations", p.Orderer.Organizations); err != nil {
			return nil, err
		}
		if err := applyOrdererDefaults(path+".Orderer", p.Orderer, baseDir); err != nil {
			return nil, err
		}
	}
	if p.Application != nil {
		if err := resolve(path+".Application.Organizations", p.Application.Organizations); err != nil {
			return nil, err
		}
	}
	for _, cname := range slices.Sorted(maps.Keys(p.Consortiums)) {
		if c := p.Consortiums[cname]; c != nil {
			if err := resolve(path+".Consortiums."+cname+".Organizations", c.Organizations); err != nil {
				return nil, err
			}
		}
	}
	return p, nil
}

// translate makes a relative path absolute against base (Fabric's
// TranslatePathInPlace). Without a base (inline configuration and no
// base_dir) a relative path is an error rather than a guess.
func translate(path, base string, p *string) error {
	if *p == "" || filepath.IsAbs(*p) {
		return nil
	}
	if base == "" {
		return fieldErr(path, "relative path %q needs base_dir (or use an absolute path)", *p)
	}
	*p = filepath.Join(base, *p)
	return nil
}

// Orderer defaults, as configtxgen's genesisconfig applies them.
var (
	defaultBatchTimeout      = 2 * time.Second
	defaultMaxMessageCount   = uint32(500)
	defaultAbsoluteMaxBytes  = uint32(10 * 1024 * 1024)
	defaultPreferredMaxBytes = uint32(2 * 1024 * 1024)
	defaultEtcdRaftOptions   = EtcdRaftOptions{
		TickInterval:         "500ms",
		ElectionTick:         10,
		HeartbeatTick:        1,
		MaxInflightBlocks:    5,
		SnapshotIntervalSize: 16 * 1024 * 1024,
	}
)

func applyOrdererDefaults(path string, o *Orderer, baseDir string) error {
	if o.OrdererType == "" {
		return fieldErr(path+".OrdererType", "missing (kafka, etcdraft or solo)")
	}
	if o.BatchTimeout == 0 {
		o.BatchTimeout = defaultBatchTimeout
	}
	if o.BatchTimeout < 0 {
		return fieldErr(path+".BatchTimeout", "must be positive")
	}
	if o.BatchSize.MaxMessageCount == 0 {
		o.BatchSize.MaxMessageCount = defaultMaxMessageCount
	}
	if o.BatchSize.AbsoluteMaxBytes == 0 {
		o.BatchSize.AbsoluteMaxBytes = defaultAbsoluteMaxBytes
	}
	if o.BatchSize.PreferredMaxBytes == 0 {
		o.BatchSize.PreferredMaxBytes = defaultPreferredMaxBytes
	}
	if o.BatchSize.PreferredMaxBytes > o.BatchSize.AbsoluteMaxBytes {
		// The orderer refuses such a channel config.
		return fieldErr(path+".BatchSize.PreferredMaxBytes", "%d is larger than AbsoluteMaxBytes (%d)", o.BatchSize.PreferredMaxBytes, o.BatchSize.AbsoluteMaxBytes)
	}
	switch o.OrdererType {
	case TypeSolo:
	case TypeKafka:
		// configtxgen would silently use 127.0.0.1:9092; a deployment
		// never wants that.
		if len(o.Kafka.Brokers) == 0 {
			return fieldErr(path+".Kafka.Brokers", "a kafka orderer needs at least one broker (host:port)")
		}
		for i, b := range o.Kafka.Brokers {
			if err := checkEndpoint(fmt.Sprintf("%s.Kafka.Brokers[%d]", path, i), b); err != nil {
				return err
			}
		}
	case TypeEtcdRaft:
		rp := path + ".EtcdRaft"
		if o.EtcdRaft == nil {
			return fieldErr(rp, "an etcdraft orderer needs an EtcdRaft section with Consenters")
		}
		if o.EtcdRaft.Options == nil {
			opts := defaultEtcdRaftOptions
			o.EtcdRaft.Options = &opts
		}
		opts := o.EtcdRaft.Options
		if opts.TickInterval == "" {
			opts.TickInterval = defaultEtcdRaftOptions.TickInterval
		}
		if opts.ElectionTick == 0 {
			opts.ElectionTick = defaultEtcdRaftOptions.ElectionTick
		}
		if opts.HeartbeatTick == 0 {
			opts.HeartbeatTick = defaultEtcdRaftOptions.HeartbeatTick
		}
		if opts.MaxInflightBlocks == 0 {
			opts.MaxInflightBlocks = defaultEtcdRaftOptions.MaxInflightBlocks
		}
		if opts.SnapshotIntervalSize == 0 {
			opts.SnapshotIntervalSize = defaultEtcdRaftOptions.SnapshotIntervalSize
		}
		if d, err := time.ParseDuration(opts.TickInterval); err != nil || d <= 0 {
			return fieldErr(rp+".Options.TickInterval", "%q is not a positive duration such as \"500ms\"", opts.TickInterval)
		}
		if opts.ElectionTick <= opts.HeartbeatTick {
			return fieldErr(rp+".Options.ElectionTick", "must be greater than HeartbeatTick (%d)", opts.HeartbeatTick)
		}
		if len(o.EtcdRaft.Consenters) == 0 {
			return fieldErr(rp+".Consenters", "an etcdraft orderer needs at least one consenter")
		}
		seen := map[string]int{}
		for i, c := range o.EtcdRaft.Consenters {
			cp := fmt.Sprintf("%s.Consenters[%d]", rp, i)
			if c == nil || c.Host == "" {
				return fieldErr(cp+".Host", "missing")
			}
			if c.Port == 0 || c.Port > 65535 {
				return fieldErr(cp+".Port", "missing or not between 1 and 65535")
			}
			ep := fmt.Sprintf("%s:%d", c.Host, c.Port)
			if j, dup := seen[ep]; dup {
				return fieldErr(cp, "consenter %s is listed twice (also at index %d)", ep, j)
			}
			seen[ep] = i
			if c.ClientTLSCert == "" {
				return fieldErr(cp+".ClientTLSCert", "missing (path of the consenter's TLS client certificate)")
			}
			if c.ServerTLSCert == "" {
				return fieldErr(cp+".ServerTLSCert", "missing (path of the consenter's TLS server certificate)")
			}
			if err := translate(cp+".ClientTLSCert", baseDir, &c.ClientTLSCert); err != nil {
				return err
			}
			if err := translate(cp+".ServerTLSCert", baseDir, &c.ServerTLSCert); err != nil {
				return err
			}
		}
	default:
		return fieldErr(path+".OrdererType", "unknown orderer type %q (kafka, etcdraft or solo)", o.OrdererType)
	}
	for i, a := range o.Addresses {
		if err := checkEndpoint(fmt.Sprintf("%s.Addresses[%d]", path, i), a); err != nil {
			return err
		}
	}
	return nil
}

// readCert reads a PEM certificate file, byte for byte.
func readCert(path, file string) ([]byte, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fieldErr(path, "certificate file %s does not exist", file)
		}
		return nil, fieldErr(path, "%v", err)
	}
	if blk, _ := pem.Decode(b); blk == nil || blk.Type != "CERTIFICATE" {
		return nil, fieldErr(path, "%s is not a PEM certificate", file)
	}
	return b, nil
}

// channelIDPattern is Fabric's rule for channel names.
var channelIDPattern = regexp.MustCompile(`^[a-z][a-z0-9.-]*$`)

// CheckChannelID validates a channel name the way the orderer will.
func CheckChannelID(id string) error {
	if id == "" {
		return fieldErr("channel_id", "missing")
	}
	if len(id) > 249 {
		return fieldErr("channel_id", "%q is longer than 249 characters", id)
	}
	if !channelIDPattern.MatchString(id) {
		return fieldErr("channel_id", "%q is not a valid channel name: lowercase letters, digits, '.' and '-', starting with a letter", id)
	}
	return nil
}

// deepCopy copies v and everything its pointers, slices and maps reach, so a
// resolved profile never shares state with the parsed document (YAML aliases
// make one organization appear in several places).
func deepCopy[T any](v T) T {
	out := reflect.New(reflect.TypeFor[T]()).Elem()
	copyValue(out, reflect.ValueOf(&v).Elem())
	return out.Interface().(T)
}

func copyValue(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if !src.IsNil() {
			p := reflect.New(src.Type().Elem())
			copyValue(p.Elem(), src.Elem())
			dst.Set(p)
		}
	case reflect.Slice:
		if !src.IsNil() {
			s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
			for i := 0; i < src.Len(); i++ {
				copyValue(s.Index(i), src.Index(i))
			}
			dst.Set(s)
		}
	case reflect.Map:
		if !src.IsNil() {
			m := reflect.MakeMapWithSize(src.Type(), src.Len())
			for it := src.MapRange(); it.Next(); {
				e := reflect.New(src.Type().Elem()).Elem()
				copyValue(e, it.Value())
				m.SetMapIndex(it.Key(), e)
			}
			dst.Set(m)
		}
	case reflect.Struct:
		dst.Set(src) // every field, unexported ones (plain values) too
		for i := 0; i < src.NumField(); i++ {
			if dst.Field(i).CanSet() {
				copyValue(dst.Field(i), src.Field(i))
			}
		}
	default:
		dst.Set(src)
	}
}

// orgNames lists the names of orgs, sorted.
func orgNames(orgs []*Organization) []string {
	var out []string
	for _, o := range orgs {
		if o != nil {
			out = append(out, o.Name)
		}
	}
	sort.Strings(out)
	return out
}

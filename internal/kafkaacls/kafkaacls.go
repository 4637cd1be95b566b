// Package kafkaacls is the fabric_kafka_acls module: the ALLOW ACLs a
// topic resource has in the Kafka cluster, read and completed over the
// Kafka protocol's admin requests (DescribeAcls, CreateAcls) with a TLS
// client identity, as kafka-acls.sh --bootstrap-server does - without a JVM
// for each call (about 6 s each on two cores).
package kafkaacls

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/Shopify/sarama"

	"github.com/fabrun/fabrun/internal/kafka"
	"github.com/fabrun/fabrun/internal/module"
)

// Args are the module's options.
type Args struct {
	Bootstrap   []string `json:"bootstrap"`
	TLSCA       string   `json:"tls_ca"`
	TLSKeystore string   `json:"tls_keystore"`
	Topic       string   `json:"topic"`
	Principals  []string `json:"principals"`
	Operations  []string `json:"operations"`
	Timeout     float64  `json:"timeout"`
}

// Spec declares the module's options.
func Spec() module.Spec {
	return module.Spec{
		Name: "fabric_kafka_acls",
		Options: map[string]module.Option{
			"bootstrap":    {Type: module.List, Elements: module.Str, Required: true},
			"tls_ca":       {Type: module.Path, Required: true},
			"tls_keystore": {Type: module.Path, Required: true},
			"topic":        {Type: module.Str, Default: "*"},
			"principals":   {Type: module.List, Elements: module.Str, Required: true},
			"operations":   {Type: module.List, Elements: module.Str, Required: true},
			"timeout":      {Type: module.Float, Default: 30.0},
		},
		SupportsCheckMode: true,
	}
}

// operations are the ACL operations by the names kafka-acls.sh takes.
var operations = map[string]sarama.AclOperation{
	"read": sarama.AclOperationRead, "write": sarama.AclOperationWrite,
	"create": sarama.AclOperationCreate, "delete": sarama.AclOperationDelete,
	"alter": sarama.AclOperationAlter, "describe": sarama.AclOperationDescribe,
	"describeconfigs": sarama.AclOperationDescribeConfigs, "alterconfigs": sarama.AclOperationAlterConfigs,
	"all": sarama.AclOperationAll,
}

// Entry is one ALLOW ACL on the topic resource.
type Entry struct {
	Principal string
	Host      string
	Operation sarama.AclOperation
}

func (e Entry) String() string {
	return fmt.Sprintf("%s may %s from %s", e.Principal, opName(e.Operation), e.Host)
}

func opName(op sarama.AclOperation) string {
	for n, o := range operations {
		if o == op {
			return strings.ToUpper(n)
		}
	}
	return fmt.Sprintf("operation %d", op)
}

// Wanted is every principal allowed every operation, from any host.
func (a Args) Wanted() ([]Entry, error) {
	if len(a.Principals) == 0 {
		return nil, fmt.Errorf("principals: at least one is needed")
	}
	var out []Entry
	for _, p := range a.Principals {
		if !strings.HasPrefix(p, "User:") || len(p) == len("User:") {
			return nil, fmt.Errorf("principals: %q is not a Kafka user principal (User:<name>)", p)
		}
		for _, o := range a.Operations {
			op, ok := operations[strings.ToLower(o)]
			if !ok {
				return nil, fmt.Errorf("operations: unknown operation %q (one of Read, Write, Create, Delete, Alter, Describe, DescribeConfigs, AlterConfigs, All)", o)
			}
			out = append(out, Entry{Principal: p, Host: "*", Operation: op})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("operations: at least one is needed")
	}
	return out, nil
}

// Missing is what of wanted is not in have.
func Missing(wanted, have []Entry) []Entry {
	var out []Entry
	for _, w := range wanted {
		if !slices.Contains(have, w) && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// Run is the module's body.
func Run(ctx *module.Context) (module.Result, error) {
	var a Args
	if err := ctx.Decode(&a); err != nil {
		return module.Result{}, err
	}
	wanted, err := a.Wanted()
	if err != nil {
		return module.Result{}, err
	}
	if a.Topic == "" {
		return module.Result{}, fmt.Errorf("topic: must not be empty")
	}
	cfg, err := kafka.Config(a.TLSCA, a.TLSKeystore, time.Duration(a.Timeout*float64(time.Second)))
	if err != nil {
		return module.Result{}, err
	}
	// One call, not a poll: ride out a controller moving, as Kafka's admin
	// client retries.
	cfg.Metadata.Retry.Max, cfg.Metadata.Retry.Backoff = 5, 500*time.Millisecond
	client, err := sarama.NewClient(a.Bootstrap, cfg)
	if err != nil {
		return module.Result{}, fmt.Errorf("bootstrap %s: %v", strings.Join(a.Bootstrap, ","), err)
	}
	defer client.Close()
	// The controller broker answers both requests, as Kafka's admin client
	// sends them.
	controller, err := client.Controller()
	if err != nil {
		return module.Result{}, fmt.Errorf("bootstrap %s: no controller broker: %v", strings.Join(a.Bootstrap, ","), err)
	}

	have, err := a.list(controller)
	if err != nil {
		return module.Result{}, err
	}
	missing := Missing(wanted, have)
	before, after := lines(have), lines(slices.Concat(have, missing))
	res := module.Result{Changed: len(missing) > 0, Data: map[string]any{"added": lines(missing), "acls": after}}
	if !res.Changed {
		return res, nil
	}
	if ctx.DiffMode() {
		header := "topic " + a.Topic + " ACLs"
		res.Diff = []module.Diff{{Before: strings.Join(before, "\n") + "\n", After: strings.Join(after, "\n") + "\n",
			BeforeHeader: header, AfterHeader: header}}
	}
	verb := "would allow"
	if !ctx.CheckMode() {
		if err := a.create(controller, missing); err != nil {
			return module.Result{}, err
		}
		verb = "allowed"
	}
	res.Msg = fmt.Sprintf("%s %d operations on topic %s", verb, len(missing), a.Topic)
	return res, nil
}

// list reads the topic resource's ALLOW ACLs.
func (a Args) list(controller *sarama.Broker) ([]Entry, error) {
	topic := a.Topic
	rsp, err := controller.DescribeAcls(&sarama.DescribeAclsRequest{AclFilter: sarama.AclFilter{
		ResourceType: sarama.AclResourceTopic, ResourceName: &topic,
		Operation: sarama.AclOperationAny, PermissionType: sarama.AclPermissionAllow,
	}})
	if err == nil && rsp.Err != sarama.ErrNoError {
		err = rsp.Err
	}
	if err != nil {
		return nil, fmt.Errorf("listing the ACLs of topic %s: %v", a.Topic, err)
	}
	var out []Entry
	for _, r := range rsp.ResourceAcls {
		if r.ResourceType != sarama.AclResourceTopic || r.ResourceName != a.Topic {
			continue
		}
		for _, acl := range r.Acls {
			if acl.PermissionType == sarama.AclPermissionAllow {
				out = append(out, Entry{Principal: acl.Principal, Host: acl.Host, Operation: acl.Operation})
			}
		}
	}
	return out, nil
}

// create adds entries in one request to the controller.
func (a Args) create(controller *sarama.Broker, entries []Entry) error {
	req := &sarama.CreateAclsRequest{}
	for _, e := range entries {
		req.AclCreations = append(req.AclCreations, &sarama.AclCreation{
			Resource: sarama.Resource{ResourceType: sarama.AclResourceTopic, ResourceName: a.Topic},
			Acl:      sarama.Acl{Principal: e.Principal, Host: e.Host, Operation: e.Operation, PermissionType: sarama.AclPermissionAllow},
		})
	}
	rsp, err := controller.CreateAcls(req)
	if err != nil {
		return fmt.Errorf("adding ACLs to topic %s: %v", a.Topic, err)
	}
	for i, r := range rsp.AclCreationResponses {
		if r.Err != sarama.ErrNoError {
			msg := r.Err.Error()
			if r.ErrMsg != nil {
				msg += ": " + *r.ErrMsg
			}
			return fmt.Errorf("adding %s to topic %s: %s", entries[i], a.Topic, msg)
		}
	}
	return nil
}

func lines(es []Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.String()
	}
	slices.Sort(out)
	return out
}

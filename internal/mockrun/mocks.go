// Package mockrun runs the Pulumi program in-process under mocks, with no cloud, no credentials and no
// plugins, and records every registration. Tests and tools use it to inspect exactly what a stack would create.
package mockrun

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Defaults of the simulated account.
const (
	DefaultAccount   = "123456789012"
	DefaultRegion    = "us-east-1"
	DefaultPartition = "aws"
)

// Resource is one recorded registration.
type Resource struct {
	URN    string
	Type   string
	Name   string
	Custom bool // false for ComponentResources
	ID     string
	// Inputs are what the program passed; Outputs what the mock answered (inputs plus synthetic ids and ARNs).
	Inputs  resource.PropertyMap
	Outputs resource.PropertyMap
	// From the register request.
	Parent              string
	Protect             bool
	RetainOnDelete      bool
	DeleteBeforeReplace bool
	IgnoreChanges       []string
	Dependencies        []string
	// Provider is the explicit provider of a custom resource ("urn::id"), or "" for the default provider.
	Provider string
}

// Invoke is one recorded provider function call.
type Invoke struct {
	Token string
	Args  resource.PropertyMap
	// Provider is the explicit provider the call went to ("urn::id"), or "" for the default provider.
	Provider string
}

// Mocks is a pulumi.MockResourceMonitor that records every registration and answers only the invokes the
// program is known to use; any other invoke fails, so a new lookup cannot silently get empty data.
type Mocks struct {
	Project, Stack string
	Account        string
	Region         string
	// AvailableZones is what getAvailabilityZones answers. Deliberately unsorted by default, to prove the
	// program sorts.
	AvailableZones []string

	mu        sync.Mutex
	resources []Resource
	invokes   []Invoke
	eips      int
	// providerRegions are the regions of explicit aws providers, by "urn::id": lookups and ARNs of resources
	// that use such a provider answer with its region, as AWS would.
	providerRegions map[string]string
}

// NewMocks returns mocks for a project and stack in the default account and the given region ("" for the
// default region).
func NewMocks(project, stack, region string) *Mocks {
	if region == "" {
		region = DefaultRegion
	}
	return &Mocks{
		Project: project, Stack: stack, Account: DefaultAccount, Region: region,
		AvailableZones: []string{region + "d", region + "a", region + "c", region + "b"},
	}
}

// Resources returns a copy of the recorded registrations, in registration order.
func (m *Mocks) Resources() []Resource {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Resource(nil), m.resources...)
}

// Invokes returns a copy of the recorded invokes.
func (m *Mocks) Invokes() []Invoke {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Invoke(nil), m.invokes...)
}

// Call answers the provider functions the program uses.
func (m *Mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	m.invokes = append(m.invokes, Invoke{Token: args.Token, Args: args.Args, Provider: args.Provider})
	m.mu.Unlock()
	region := m.regionOf(args.Provider)
	switch args.Token {
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{
			"accountId": m.Account, "id": m.Account, "userId": "AIDAMOCK",
			"arn": fmt.Sprintf("arn:%s:iam::%s:user/mock", DefaultPartition, m.Account),
		}), nil
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{
			"name": region, "id": region, "description": "mock region",
			"endpoint": fmt.Sprintf("ec2.%s.amazonaws.com", region),
		}), nil
	case "aws:index/getPartition:getPartition":
		return resource.NewPropertyMapFromMap(map[string]any{
			"partition": DefaultPartition, "id": DefaultPartition, "dnsSuffix": "amazonaws.com",
			"reverseDnsPrefix": "com.amazonaws",
		}), nil
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		zones := m.AvailableZones
		if region != m.Region { // an explicit provider's region: the same unsorted shape, in that region
			zones = []string{region + "d", region + "a", region + "c", region + "b"}
		}
		var names, ids []any
		for i, n := range zones {
			names = append(names, n)
			ids = append(ids, fmt.Sprintf("use1-az%d", i+1))
		}
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": region, "names": names, "zoneIds": ids,
		}), nil
	}
	return nil, fmt.Errorf("mockrun: unexpected invoke %q: teach Mocks.Call to answer it", args.Token)
}

// idPrefixes mimic AWS id formats, so ids in inputs show which kind of resource they point at.
var idPrefixes = map[string]string{
	TypeVpc:                  "vpc",
	TypeSubnet:               "subnet",
	TypeRouteTable:           "rtb",
	TypeRoute:                "r",
	TypeRouteTableAssoc:      "rtbassoc",
	TypeInternetGateway:      "igw",
	TypeNatGateway:           "nat",
	TypeEip:                  "eipalloc",
	TypeVpcEndpoint:          "vpce",
	TypeDefaultSecurityGroup: "sg",
	TypeDefaultNetworkAcl:    "acl",
	TypeNetworkAcl:           "acl",
	TypeFlowLog:              "fl",
}

// NewResource records a registration and answers with synthetic ids and ARNs.
func (m *Mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	rpc := args.RegisterRPC
	r := Resource{
		Type: args.TypeToken, Name: args.Name, Custom: args.Custom, Inputs: args.Inputs,
		Parent:              rpc.GetParent(),
		Protect:             rpc.GetProtect(),
		RetainOnDelete:      rpc.GetRetainOnDelete(),
		DeleteBeforeReplace: rpc.GetDeleteBeforeReplace(),
		IgnoreChanges:       append([]string(nil), rpc.GetIgnoreChanges()...),
		Dependencies:        append([]string(nil), rpc.GetDependencies()...),
	}
	sort.Strings(r.Dependencies)
	r.URN = m.urn(r.Parent, r.Type, r.Name)
	r.Provider = args.Provider
	out := args.Inputs.Copy()
	if args.Custom {
		r.ID = m.answer(r.Type, r.Name, m.regionOf(args.Provider), args.Inputs, out)
	}
	if r.Type == "pulumi:providers:aws" {
		if v, ok := args.Inputs["region"]; ok && v.IsString() {
			m.mu.Lock()
			if m.providerRegions == nil {
				m.providerRegions = map[string]string{}
			}
			m.providerRegions[r.URN+"::"+r.ID] = v.StringValue()
			m.mu.Unlock()
		}
	}
	r.Outputs = out
	m.mu.Lock()
	m.resources = append(m.resources, r)
	m.mu.Unlock()
	return r.ID, out, nil
}

// urn computes the URN the engine would give, as the mock monitor does.
func (m *Mocks) urn(parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(m.Stack), tokens.PackageName(m.Project), parentType,
		tokens.Type(typ), name))
}

// regionOf is the region of a provider reference: an explicit aws provider's own, else the mocks' region.
func (m *Mocks) regionOf(provider string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.providerRegions[provider]; ok {
		return r
	}
	return m.Region
}

// answer fills out with the computed attributes AWS would return in region and returns the id.
func (m *Mocks) answer(typ, name, region string, in, out resource.PropertyMap) string {
	str := func(k string) string {
		if v, ok := in[resource.PropertyKey(k)]; ok && v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	set := func(k, v string) { out[resource.PropertyKey(k)] = resource.NewStringProperty(v) }
	arn := func(service, region, account, res string) string {
		return fmt.Sprintf("arn:%s:%s:%s:%s:%s", DefaultPartition, service, region, account, res)
	}
	id := name + "-id"
	if p, ok := idPrefixes[typ]; ok {
		id = p + "-" + name
	}
	switch typ {
	case TypeVpc:
		set("defaultNetworkAclId", "acl-default-"+name)
		set("defaultSecurityGroupId", "sg-default-"+name)
		set("arn", arn("ec2", region, m.Account, "vpc/"+id))
	case TypeEip:
		m.mu.Lock()
		m.eips++
		n := m.eips
		m.mu.Unlock()
		set("publicIp", fmt.Sprintf("198.51.100.%d", n))
		set("allocationId", id)
	case TypeKmsKey:
		id = "key-" + name
		set("keyId", id)
		set("arn", arn("kms", region, m.Account, "key/"+id))
	case TypeKmsAlias:
		id = str("name")
		set("arn", arn("kms", region, m.Account, id))
	case TypeLogGroup:
		id = str("name")
		set("arn", arn("logs", region, m.Account, "log-group:"+id))
	case TypeRole:
		id = str("name")
		if id == "" {
			id = name + "-0a1b2c3"
			set("name", id)
		}
		// A role's ARN carries its path (default "/"): arn:aws:iam::123456789012:role/some/path/name.
		path := str("path")
		if path == "" {
			path = "/"
		}
		set("arn", arn("iam", "", m.Account, "role"+path+id))
	case TypeBucket:
		id = str("bucket")
		if id == "" {
			id = name + "-0a1b2c3"
			set("bucket", id)
		}
		set("arn", arn("s3", "", "", id))
	case TypeTable:
		id = str("name")
		set("arn", arn("dynamodb", region, m.Account, "table/"+id))
	case TypeTopic, TypeEventRule, TypeMetricAlarm:
		// Named by Pulumi when no name is given: the resource's name and a random suffix.
		id = str("name")
		if id == "" {
			id = name + "-0a1b2c3"
			set("name", id)
		}
		switch typ {
		case TypeTopic:
			set("arn", arn("sns", region, m.Account, id))
			id = arn("sns", region, m.Account, id) // a topic's id is its ARN
		case TypeEventRule:
			set("arn", arn("events", region, m.Account, "rule/"+id))
		case TypeMetricAlarm:
			set("arn", arn("cloudwatch", region, m.Account, "alarm:"+id))
		}
	}
	set("id", id)
	return id
}

// IsProviderOrStack says whether a type token is Pulumi's own bookkeeping rather than a component or AWS
// resource.
func IsProviderOrStack(typ string) bool {
	return strings.HasPrefix(typ, "pulumi:")
}

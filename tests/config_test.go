package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws-foundation/aws-foundation/components"
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
	"github.com/aws-foundation/aws-foundation/internal/stackrun"
	"github.com/aws-foundation/aws-foundation/stacks"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runStackWith runs stacks.Run with project config keys (short names) on top of nothing: the program's own
// defaults apply, as they must when the CLI does not supply Pulumi.yaml's.
func runStackWith(cfg map[string]string) (*mockrun.Result, error) {
	full := map[string]string{}
	for k, v := range cfg {
		if !strings.Contains(k, ":") {
			k = "aws-foundation:" + k
		}
		full[k] = v
	}
	return mockrun.Run(stacks.Run, mockrun.Options{Stack: "test", Config: full})
}

func TestInvalidConfigurationIsRefusedBeforeAnythingIsRegistered(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cfg  map[string]string
		want []string // each must appear in the error
	}{
		{"malformed cidr", map[string]string{"vpcCidr": "10.0.0.0"}, []string{"aws-foundation:vpcCidr", "not an IPv4 CIDR"}},
		{"archive bucket wildcard", map[string]string{"flowLogsArchiveBucketArn": "arn:aws:s3:::*"}, []string{"aws-foundation:flowLogsArchiveBucketArn", "not the ARN of one bucket"}},
		{"public cidr", map[string]string{"vpcCidr": "8.8.0.0/16"}, []string{"aws-foundation:vpcCidr", "not inside a private range"}},
		{"host bits set", map[string]string{"vpcCidr": "10.0.0.1/16"}, []string{"aws-foundation:vpcCidr", "host bits"}},
		{"prefix too short for AWS", map[string]string{"vpcCidr": "10.0.0.0/12"}, []string{"aws-foundation:vpcCidr", "AWS allows /16 to /28"}},
		{"prefix too long for AWS", map[string]string{"vpcCidr": "10.0.0.0/30"}, []string{"aws-foundation:vpcCidr", "AWS allows /16 to /28"}},
		{"too small for the layout", map[string]string{"vpcCidr": "10.0.0.0/26"}, []string{"aws-foundation:vpcCidr", "too small for the subnet layout"}},
		{"ipv6 cidr", map[string]string{"vpcCidr": "fd00::/56"}, []string{"aws-foundation:vpcCidr", "not an IPv4 CIDR"}},
		{"two azs", map[string]string{"availabilityZones": `["us-east-1a","us-east-1b"]`}, []string{"aws-foundation:availabilityZones", "exactly 3"}},
		{"four azs", map[string]string{"availabilityZones": `["a","b","c","d"]`}, []string{"aws-foundation:availabilityZones", "exactly 3"}},
		{"repeated az", map[string]string{"availabilityZones": `["us-east-1a","us-east-1a","us-east-1b"]`}, []string{"aws-foundation:availabilityZones", "listed twice"}},
		{"azs not a list", map[string]string{"availabilityZones": "us-east-1a"}, []string{"aws-foundation:availabilityZones", "not a list of strings"}},
		{"unknown nat strategy", map[string]string{"natStrategy": "double"}, []string{"aws-foundation:natStrategy", `"double" is not one of [single onePerAz none]`}},
		{"bucket arn without arn prefix", map[string]string{"s3EndpointExtraBucketArns": `["my-bucket"]`}, []string{"aws-foundation:s3EndpointExtraBucketArns", "not a bucket ARN"}},
		{"bucket arn with upper case", map[string]string{"s3EndpointExtraBucketArns": `["arn:aws:s3:::My_Bucket"]`}, []string{"aws-foundation:s3EndpointExtraBucketArns", "My_Bucket"}},
		{"object arn", map[string]string{"s3EndpointExtraBucketArns": `["arn:aws:s3:::bucket/key"]`}, []string{"aws-foundation:s3EndpointExtraBucketArns", "not a bucket ARN"}},
		{"bucket arn with *", map[string]string{"s3EndpointExtraBucketArns": `["arn:aws:s3:::al2023-repos-*"]`}, []string{"aws-foundation:s3EndpointExtraBucketArns", "has a wildcard; name each bucket exactly"}},
		{"bucket arn with ?", map[string]string{"s3EndpointExtraBucketArns": `["arn:aws:s3:::vendor-?"]`}, []string{"aws-foundation:s3EndpointExtraBucketArns", "has a wildcard"}},
		{"service buckets not a bool", map[string]string{"s3EndpointNoAwsServiceBuckets": "sometimes"}, []string{"aws-foundation:s3EndpointNoAwsServiceBuckets", "not true or false"}},
		{"ssh to the internet", map[string]string{"publicIngressPorts": "[443, 22]"}, []string{"aws-foundation:publicIngressPorts", "22 is a remote administration port"}},
		{"rdp to the internet", map[string]string{"publicIngressPorts": "[3389]"}, []string{"aws-foundation:publicIngressPorts", "3389 is a remote administration port"}},
		{"port zero", map[string]string{"publicIngressPorts": "[0]"}, []string{"aws-foundation:publicIngressPorts", "0 is not a TCP port (1-65535)"}},
		{"port too high", map[string]string{"publicIngressPorts": "[65536]"}, []string{"aws-foundation:publicIngressPorts", "65536 is not a TCP port (1-65535)"}},
		{"port twice", map[string]string{"publicIngressPorts": "[443, 80, 443]"}, []string{"aws-foundation:publicIngressPorts", "443 is listed twice"}},
		{"too many ports", map[string]string{"publicIngressPorts": tooManyPorts()}, []string{"aws-foundation:publicIngressPorts", fmt.Sprintf("%d ports is more than %d", components.MaxPublicIngressPorts()+1, components.MaxPublicIngressPorts()), "quota of 20 inbound rules"}},
		{"ports not integers", map[string]string{"publicIngressPorts": `["https"]`}, []string{"aws-foundation:publicIngressPorts", "not a list of integers"}},
		{"delete-with-stack not a bool", map[string]string{"flowLogsDeleteWithStack": "forever"}, []string{"aws-foundation:flowLogsDeleteWithStack", "not true or false"}},
		{"the renamed retain key", map[string]string{"flowLogsRetainOnDelete": "false"},
			[]string{"aws-foundation:flowLogsRetainOnDelete: was renamed flowLogsDeleteWithStack, which means the opposite: write aws-foundation:flowLogsDeleteWithStack: true instead"}},
		{"the renamed service-bucket key", map[string]string{"s3EndpointAwsServiceBuckets": "true"},
			[]string{"aws-foundation:s3EndpointAwsServiceBuckets: was renamed s3EndpointNoAwsServiceBuckets, which means the opposite: write aws-foundation:s3EndpointNoAwsServiceBuckets: false instead"}},
		{"boundary neither name nor arn", map[string]string{"flowLogsPermissionsBoundary": "my boundary"}, []string{"aws-foundation:flowLogsPermissionsBoundary", "neither an IAM managed policy ARN", "nor a policy name"}},
		{"boundary a role arn", map[string]string{"flowLogsPermissionsBoundary": "arn:aws:iam::123456789012:role/x"}, []string{"aws-foundation:flowLogsPermissionsBoundary", "neither an IAM managed policy ARN"}},
		{"retention CloudWatch refuses", map[string]string{"flowLogsRetentionDays": "100"}, []string{"aws-foundation:flowLogsRetentionDays", "not accepted by CloudWatch"}},
		{"retention below a year", map[string]string{"flowLogsRetentionDays": "90"}, []string{"aws-foundation:flowLogsRetentionDays", "below the 365-day minimum"}},
		{"retention not a number", map[string]string{"flowLogsRetentionDays": "a year"}, []string{"aws-foundation:flowLogsRetentionDays", "not an integer"}},
		{"aggregation interval", map[string]string{"flowLogsAggregationInterval": "120"}, []string{"aws-foundation:flowLogsAggregationInterval", "use 60 or 600"}},
		{"override not a bool", map[string]string{"flowLogsAllowShortRetention": "yes please"}, []string{"aws-foundation:flowLogsAllowShortRetention", "not true or false"}},
		{"unknown stack kind", map[string]string{"stackKind": "network"}, []string{"aws-foundation:stackKind", `"network" is not one of environment, bootstrap`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { requireConfigRefused(t, c.cfg, c.want...) })
	}
}

// requireConfigRefused runs a stack with cfg and fails unless the run errs with every wanted text (each naming
// its config key) and registers nothing.
func requireConfigRefused(t *testing.T, cfg map[string]string, want ...string) {
	t.Helper()
	res, err := runStackWith(cfg)
	require.Error(t, err)
	for _, w := range want {
		assert.Contains(t, err.Error(), w)
	}
	requireNothingRegistered(t, res)
}

func TestOneErrorListsEveryConfigurationProblem(t *testing.T) {
	t.Parallel()
	res, err := runStackWith(map[string]string{
		"vpcCidr": "8.8.8.0/24", "availabilityZones": `["a"]`, "natStrategy": "many",
		"s3EndpointExtraBucketArns": `["nope"]`, "flowLogsRetentionDays": "7", "flowLogsAggregationInterval": "1",
	})
	require.Error(t, err)
	for _, key := range []string{"vpcCidr", "availabilityZones", "natStrategy", "s3EndpointExtraBucketArns",
		"flowLogsRetentionDays", "flowLogsAggregationInterval"} {
		assert.Contains(t, err.Error(), "aws-foundation:"+key+":")
	}
	assert.Contains(t, err.Error(), "(6 problems)")
	requireNothingRegistered(t, res)
}

func TestProblemsFoundAfterTheLookupsNameTheirConfigKeyAndRegisterNothing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cfg  map[string]string
		want []string
	}{
		{"a region the service-bucket table lacks", map[string]string{"aws:region": "mx-central-1"},
			[]string{"aws-foundation:s3EndpointNoAwsServiceBuckets", `no AWS service bucket names are known for region "mx-central-1"`, "once the account and region are known"}},
		{"a boundary of another account", map[string]string{"flowLogsPermissionsBoundary": "arn:aws:iam::999999999999:policy/b"},
			[]string{"aws-foundation:flowLogsPermissionsBoundary", "a policy of account 999999999999", "this account (123456789012)"}},
		{"a boundary of another partition", map[string]string{"flowLogsPermissionsBoundary": "arn:aws-us-gov:iam::123456789012:policy/b"},
			[]string{"aws-foundation:flowLogsPermissionsBoundary", "in partition aws-us-gov, but the stack deploys to aws"}},
		{"a derived log bucket name too long", map[string]string{"stackKind": "bootstrap", "stateBucketName": strings.Repeat("s", 60)},
			[]string{"aws-foundation:stateLogBucketName", "65 characters"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { requireConfigRefused(t, c.cfg, c.want...) })
	}
	t.Run("the same region with the service buckets off", func(t *testing.T) {
		res, err := runStackWith(map[string]string{"aws:region": "mx-central-1", "s3EndpointNoAwsServiceBuckets": "true"})
		require.NoError(t, err)
		requireControlsHold(t, res, "AF-VPC-07")
	})
}

func TestShortRetentionIsAcceptedOnlyWithTheOverride(t *testing.T) {
	t.Parallel()
	_, err := runStackWith(map[string]string{"flowLogsRetentionDays": "30", "flowLogsAllowShortRetention": "true"})
	require.NoError(t, err)
}

func TestPulumiYamlDeclaresEveryKeyWithTheProgramsTypeAndDefault(t *testing.T) {
	t.Parallel()
	p, err := stackrun.LoadProject(repoRoot)
	require.NoError(t, err)
	assert.Equal(t, "aws-foundation", p.Name)
	assert.Equal(t, "go", p.Runtime)
	declared := map[string]bool{}
	for _, s := range stacks.Settings {
		declared[s.Key] = true
		decl, ok := p.Config[s.Key]
		if !assert.True(t, ok, "Pulumi.yaml must declare %s", s.Key) {
			continue
		}
		assert.Equal(t, s.Type, decl.Type, "%s: type", s.Key)
		assert.Equal(t, s.Description, decl.Description, "%s: description", s.Key)
		assert.NotEmpty(t, s.Description, "%s: description", s.Key)
		want, items := s.Default, ""
		switch l := want.(type) { // YAML lists decode as []any
		case []string:
			anyList := []any{}
			for _, e := range l {
				anyList = append(anyList, e)
			}
			want, items = anyList, "string"
		case []int:
			anyList := []any{}
			for _, e := range l {
				anyList = append(anyList, e)
			}
			want, items = anyList, "integer"
		}
		assert.Equal(t, want, decl.Default, "%s: default", s.Key)
		if s.Type == "array" {
			assert.Equal(t, items, decl.Items["type"], "%s: items", s.Key)
		}
	}
	for key := range p.Config {
		assert.True(t, declared[key], "Pulumi.yaml declares %s but the program never reads it", key)
	}
}

// writeProject makes a temporary project with the real Pulumi.yaml and the given stack file.
func writeProject(t *testing.T, stack, body string) string {
	t.Helper()
	dir := t.TempDir()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "Pulumi.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), raw, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi."+stack+".yaml"), []byte(body), 0o644))
	return dir
}

func TestStackFilesWithWrongTypesOrUndeclaredKeysAreRefusedAsTheCliWould(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"string for an integer": "config:\n  aws-foundation:flowLogsRetentionDays: forever\n",
		"number for a string":   "config:\n  aws-foundation:natStrategy: 3\n",
		"string for a list":     "config:\n  aws-foundation:availabilityZones: us-east-1a\n",
		"string in an int list": "config:\n  aws-foundation:publicIngressPorts: [\"443\"]\n",
		"string for a boolean":  "config:\n  aws-foundation:flowLogsDeleteWithStack: \"no\"\n",
		"a typo in a key":       "config:\n  aws-foundation:natStrategyy: none\n",
	}
	for what, body := range cases {
		t.Run(what, func(t *testing.T) {
			_, err := stackrun.Run(writeProject(t, "bad", body), "bad", false)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "Pulumi.bad.yaml: aws-foundation:")
		})
	}
}

func TestProjectDefaultsApplyWhenAStackFileSetsNothing(t *testing.T) {
	t.Parallel()
	dir := writeProject(t, "bare", "config:\n  aws:region: eu-west-1\n")
	cfg, _, err := stackrun.Config(dir, "bare")
	require.NoError(t, err)
	assert.Equal(t, "single", cfg["aws-foundation:natStrategy"])
	assert.Equal(t, "365", cfg["aws-foundation:flowLogsRetentionDays"])
	assert.Equal(t, "[]", cfg["aws-foundation:availabilityZones"])
	assert.Equal(t, "[443,80]", cfg["aws-foundation:publicIngressPorts"])
	assert.Equal(t, "false", cfg["aws-foundation:flowLogsDeleteWithStack"])
	res, err := stackrun.Run(dir, "bare", false)
	require.NoError(t, err)
	assert.Len(t, res.OfType(mockrun.TypeNatGateway), 1)
	assert.Equal(t, "eu-west-1", res.Mocks.Region)
}

// tooManyPorts is one public port more than the public ACL holds, as config text.
func tooManyPorts() string {
	var ports []string
	for p := 1; p <= components.MaxPublicIngressPorts()+1; p++ {
		ports = append(ports, fmt.Sprint(1000+p))
	}
	return "[" + strings.Join(ports, ",") + "]"
}

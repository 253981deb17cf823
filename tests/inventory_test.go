package tests

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws-foundation/aws-foundation/components"
	"github.com/aws-foundation/aws-foundation/internal/cost"
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
	"github.com/aws-foundation/aws-foundation/internal/report"
	"github.com/aws-foundation/aws-foundation/internal/stackrun"
	"github.com/aws-foundation/aws-foundation/stacks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// inventory runs the inventory command in-process.
func inventory(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = report.Main(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestInventoryPrintsTheTreeControlsAndCostOfAStack(t *testing.T) {
	t.Parallel()
	code, out, errOut := inventory("-dir", repoRoot, "-stack", "prod")
	require.Equal(t, report.ExitOK, code, errOut)
	for _, want := range []string{
		"Stack prod (region us-east-1), 36 resources",
		"  aws-foundation:components:Network prod\n    aws:ec2/defaultNetworkAcl:DefaultNetworkAcl prod-default-nacl\n",
		"    aws:ec2/natGateway:NatGateway prod-nat-us-east-1a\n    aws:ec2/networkAcl:NetworkAcl prod-public-nacl\n",
		"    aws:kms/key:Key prod-flow-logs [retainOnDelete]\n",
		"Controls: 17 pass, 0 accepted with exceptions, 15 not applicable, 0 fail",
		"  PASS      AF-VPC-03 ",
		"EX-05 (FSBP EC2.10)",
		"EX-07 (AWS Well-Architected REL10-BP01)",
		"NAT gateway hours", "32.85",
		"Total", "49.66",
	} {
		assert.Contains(t, out, want)
	}
}

func TestInventoryShowsProtectionAndAcceptedExceptionsForTheBootstrapStack(t *testing.T) {
	t.Parallel()
	code, out, errOut := inventory("-dir", repoRoot, "-stack", "bootstrap")
	require.Equal(t, report.ExitOK, code, errOut)
	assert.Contains(t, out, "aws:dynamodb/table:Table state-lock [protect, retainOnDelete]")
	assert.Contains(t, out, "ACCEPTED  AF-S3-04")
	assert.Contains(t, out, "accepted EX-01: s3/bucketV2:BucketV2 \"state-logs\"")
	assert.Contains(t, out, "DynamoDB on-demand: state-lock")
}

func TestInventoryJsonCarriesTheSameReport(t *testing.T) {
	t.Parallel()
	code, out, errOut := inventory("-dir", repoRoot, "-stack", "dev", "-format", "json")
	require.Equal(t, report.ExitOK, code, errOut)
	var inv report.Inventory
	require.NoError(t, json.Unmarshal([]byte(out), &inv))
	assert.Equal(t, "dev", inv.Stack)
	assert.Equal(t, "us-east-1", inv.Region)
	require.Len(t, inv.Tree, 2, "Network and FlowLogs at the root")
	assert.Equal(t, "aws-foundation:components:FlowLogs", inv.Tree[0].Type)
	// vpc, igw, public route table + route, 6 subnets, 6 associations, 3 private route tables, endpoint, SG, 2 ACLs
	assert.Len(t, inv.Tree[1].Children, 23, "the dev network's children (no NAT, no EIP, no private routes)")
	assert.Zero(t, inv.Failed())
	for _, l := range inv.Cost.Lines {
		assert.NotContains(t, l.Item, "NAT", "dev has no NAT gateway")
	}
	assert.Equal(t, 7.33, inv.Cost.Total, "dev: one key at $3 (its first two rotations billed), no NAT")
}

func TestInventoryMarkdownIsAPullRequestComment(t *testing.T) {
	t.Parallel()
	code, out, errOut := inventory("-dir", repoRoot, "-stack", "prod", "-format", "markdown")
	require.Equal(t, report.ExitOK, code, errOut)
	assert.True(t, strings.HasPrefix(out, "### aws-foundation `prod` (us-east-1)\n"))
	assert.Contains(t, out, "**Controls:** 17 pass, 0 accepted with exceptions, 15 not applicable, 0 fail. **Monthly cost:** $49.66. **Resources:** 36.")
	assert.Contains(t, out, "| ✅ | AF-VPC-01 |")
	assert.Contains(t, out, "| **Total** | | **49.66** |")
	assert.Contains(t, out, "Not priced: "+cost.NotPriced, "the comment says what the estimate leaves out")
	assert.NotContains(t, out, "Failing controls")
}

func TestInventoryExitsOneAndListsTheFailureWhenAControlFails(t *testing.T) {
	t.Parallel()
	dir := writeProject(t, "short", `config:
  aws:region: us-east-1
  aws:defaultTags: {tags: {Environment: short, ManagedBy: pulumi, Project: aws-foundation}}
  aws-foundation:flowLogsRetentionDays: 30
  aws-foundation:flowLogsAllowShortRetention: true
`)
	code, out, _ := inventory("-dir", dir, "-stack", "short", "-format", "markdown")
	assert.Equal(t, report.ExitControlsFailed, code)
	assert.Contains(t, out, "#### Failing controls")
	assert.Contains(t, out, "❌ **AF-LOG-01**")
	assert.Contains(t, out, "retention 30 days, want at least 365")
}

func TestInventoryRefusesBadInputWithTheProgramsErrors(t *testing.T) {
	t.Parallel()
	bad := writeProject(t, "bad", "config:\n  aws:region: us-east-1\n  aws-foundation:natStrategy: twice\n  aws-foundation:vpcCidr: 8.8.0.0/16\n")
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown stack", []string{"-dir", repoRoot, "-stack", "staging"}, []string{`unknown stack "staging"`, "stacks: bootstrap, dev, log-archive, prod"}},
		{"invalid configuration", []string{"-dir", bad, "-stack", "bad"}, []string{"aws-foundation:natStrategy", `"twice" is not one of`, "aws-foundation:vpcCidr"}},
		{"no stack", []string{"-dir", repoRoot}, []string{"-stack is required"}},
		{"unknown format", []string{"-dir", repoRoot, "-stack", "dev", "-format", "yaml"}, []string{`unknown -format "yaml"`}},
		{"unknown assumption", []string{"-dir", repoRoot, "-stack", "dev", "-assume", "egress=5"}, []string{`assumption "egress=5"`, "nat-gb"}},
		{"negative assumption", []string{"-dir", repoRoot, "-stack", "dev", "-assume", "nat-gb=-1"}, []string{"not a non-negative number"}},
		{"unknown flag", []string{"-stak", "dev"}, []string{"flag provided but not defined: -stak"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := inventory(c.args...)
			assert.Equal(t, report.ExitError, code)
			assert.Empty(t, out)
			for _, w := range c.want {
				assert.Contains(t, errOut, w)
			}
		})
	}
}

func TestCostFollowsTheRegisteredResourcesAndTheRegionsPrices(t *testing.T) {
	t.Parallel()
	cfg, _, err := stackrun.Config(repoRoot, "prod")
	require.NoError(t, err)
	cfg["aws-foundation:natStrategy"] = "onePerAz"
	prod, err := mockrun.Run(stacks.Run, mockrun.Options{Stack: "prod", Config: cfg})
	require.NoError(t, err)
	est, err := cost.Monthly(prod, "us-east-1", cost.DefaultAssumptions)
	require.NoError(t, err)
	lines := map[string]float64{}
	for _, l := range est.Lines {
		lines[l.Item] = l.Monthly
	}
	assert.Equal(t, 98.55, lines["NAT gateway hours"], "3 NAT gateways x 730 h x $0.045")
	assert.Equal(t, 10.95, lines["Public IPv4 addresses (Elastic IPs)"], "3 x 730 h x $0.005")
	assert.Equal(t, 4.5, lines["NAT data processing"])
	assert.Equal(t, 3.0, est.Sum(cost.KmsKeys), "1 key x $1 x 3 (the key and its first two yearly rotations)")
	assert.Zero(t, est.Sum(cost.NatCrossAz), "a NAT gateway in every AZ: no cross-AZ transfer")
	assert.Equal(t, 1.8, lines["CloudWatch Logs storage: prod-flow-logs"], "5 GB/month kept 365 days")
	for kind, item := range map[cost.LineKind]string{cost.NatGatewayHours: "NAT gateway hours",
		cost.PublicIPv4: "Public IPv4 addresses (Elastic IPs)", cost.NatDataProcessing: "NAT data processing",
		cost.LogStorage: "CloudWatch Logs storage: prod-flow-logs"} {
		assert.Equal(t, lines[item], est.Sum(kind), "the %s line is %q", kind, item)
	}

	eu, err := cost.Monthly(prod, "eu-central-1", cost.DefaultAssumptions)
	require.NoError(t, err)
	assert.Greater(t, eu.Total, est.Total, "Frankfurt is dearer than N. Virginia")

	more := cost.DefaultAssumptions
	require.NoError(t, more.Set("nat-gb=1000"))
	big, err := cost.Monthly(prod, "us-east-1", more)
	require.NoError(t, err)
	assert.InDelta(t, est.Total+900*0.045, big.Total, 0.001, "900 GB more through NAT")

	cfg["aws-foundation:natStrategy"] = "single"
	single, err := mockrun.Run(stacks.Run, mockrun.Options{Stack: "prod", Config: cfg})
	require.NoError(t, err)
	one, err := cost.Monthly(single, "us-east-1", cost.DefaultAssumptions)
	require.NoError(t, err)
	assert.Equal(t, 1.33, one.Sum(cost.NatCrossAz), "one NAT for 3 AZs: 2/3 of 100 GB crosses an AZ, $0.01/GB each way")

	_, err = cost.Monthly(prod, "mx-central-1", cost.DefaultAssumptions)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `no prices for region "mx-central-1"`)
}

func TestEveryCostLineHasAKindAndTheKindsAddUpToTheTotal(t *testing.T) {
	t.Parallel()
	all := []cost.LineKind{cost.NatGatewayHours, cost.NatDataProcessing, cost.NatCrossAz, cost.PublicIPv4, cost.GatewayEndpoints,
		cost.KmsKeys, cost.KmsRequests, cost.LogIngestion, cost.LogStorage, cost.AccessLogStorage, cost.StateStorage,
		cost.StateRequests, cost.DynamoDBRequests, cost.ArchiveDelivery, cost.ArchiveInbox, cost.ArchiveVault, cost.ArchiveRequests,
		cost.ArchiveAlerts}
	for _, stack := range stackNames(t) {
		est, err := cost.Monthly(runStack(t, stack, false), "us-east-1", cost.DefaultAssumptions)
		require.NoError(t, err)
		for _, l := range est.Lines {
			assert.Contains(t, all, l.Kind, "%s: line %q", stack, l.Item)
		}
		assert.InDelta(t, est.Total, est.Sum(all...), 0.001, stack)
	}
}

func TestTheArchiveIsPricedFromWhatItRegisters(t *testing.T) {
	t.Parallel()
	est, err := cost.Monthly(runStack(t, "log-archive", false), "us-east-1", cost.DefaultAssumptions)
	require.NoError(t, err)
	a := cost.DefaultAssumptions
	p := cost.PriceTable["us-east-1"]
	retention, cold := float64(components.DefaultArchiveRetentionDays), float64(components.DefaultColdStorageAfterDays)
	require.Less(t, a.ArchiveGBPerMonth*1024*1024/a.ArchiveObjectsPerMonth, 128.0, "the default deliveries average under 128 KB")
	assert.InDelta(t, a.ArchiveGBPerMonth*retention/30.4*p.S3StorageGBMonth, est.Sum(cost.ArchiveVault), 0.006,
		"the vault once full, all in Standard: objects under the lifecycle's 128 KB minimum never transition")
	assert.InDelta(t, a.ArchiveObjectsPerMonth/1000*p.S3PutPer1000, est.Sum(cost.ArchiveRequests), 0.006, "replicas, no transitions")

	big := a
	big.ArchiveGBPerMonth = 40 // 9,000 objects of about 4.7 MB
	bigEst, err := cost.Monthly(runStack(t, "log-archive", false), "us-east-1", big)
	require.NoError(t, err)
	deepObjects := big.ArchiveObjectsPerMonth * (retention - cold) / 30.4
	hot := big.ArchiveGBPerMonth*cold/30.4 + deepObjects*cost.DeepArchiveStandardOverheadKB/1024/1024
	deep := big.ArchiveGBPerMonth*(retention-cold)/30.4 + deepObjects*cost.DeepArchiveOverheadKB/1024/1024
	assert.InDelta(t, hot*p.S3StorageGBMonth+deep*p.DeepArchiveGBMonth, bigEst.Sum(cost.ArchiveVault), 0.006,
		"the vault once full: the first 90 days in Standard, the rest in Deep Archive with its per-object overhead")
	assert.InDelta(t, big.ArchiveObjectsPerMonth/1000*(p.S3PutPer1000+p.DeepArchivePer1000), bigEst.Sum(cost.ArchiveRequests), 0.006)

	res := runStack(t, "log-archive", false)
	assert.InDelta(t, float64(len(res.OfType(mockrun.TypeMetricAlarm)))*p.AlarmMonth+cost.ReplicationMetricsPerRule*p.MetricMonth,
		est.Sum(cost.ArchiveAlerts), 0.001, "the replication alarm and its rule's four metrics")
	assert.Positive(t, est.Sum(cost.ArchiveInbox))
	assert.Zero(t, est.Sum(cost.StateStorage, cost.StateRequests), "the archive's buckets are not priced as state")

	plain, err := cost.Monthly(runStack(t, "prod", false), "us-east-1", a)
	require.NoError(t, err)
	assert.Zero(t, plain.Sum(cost.ArchiveDelivery), "no archive key, no delivery line")
	archived, err := runStackFileWith(t, "prod", map[string]string{"aws-foundation:flowLogsArchiveBucketArn": archiveInbox})
	require.NoError(t, err)
	with, err := cost.Monthly(archived, "us-east-1", a)
	require.NoError(t, err)
	assert.InDelta(t, a.FlowLogGBPerMonth*(p.VendedToS3GB+p.ParquetConversionGB), with.Sum(cost.ArchiveDelivery), 0.006)
	assert.InDelta(t, plain.Total+with.Sum(cost.ArchiveDelivery), with.Total, 0.001, "the archive adds its delivery line only")
}

func TestAStackInARegionWithoutPricesIsAnErrorNotAZeroCost(t *testing.T) {
	t.Parallel()
	dir := writeProject(t, "far", "config:\n  aws:region: mx-central-1\n  aws-foundation:s3EndpointNoAwsServiceBuckets: true\n")
	code, out, errOut := inventory("-dir", dir, "-stack", "far")
	assert.Equal(t, report.ExitError, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, `no prices for region "mx-central-1"`)
}

func TestNatStrategyCostsMatchTheSourceDesignPlusThePublicIPv4Charge(t *testing.T) {
	t.Parallel()
	cfg, _, err := stackrun.Config(repoRoot, "prod")
	require.NoError(t, err)
	for nat, want := range map[string]float64{"single": 36 + 0.5, "onePerAz": 108 + 1.5, "none": 0} {
		cfg["aws-foundation:natStrategy"] = nat
		res, err := mockrun.Run(stacks.Run, mockrun.Options{Stack: "prod", Config: cfg})
		require.NoError(t, err)
		est, err := cost.Monthly(res, "us-east-1", cost.DefaultAssumptions)
		require.NoError(t, err)
		assert.InDelta(t, want, est.Sum(cost.NatGatewayHours, cost.PublicIPv4), 0.001, "natStrategy %s", nat)
	}
}

func TestComplianceDocIsUpToDate(t *testing.T) {
	t.Parallel()
	want, err := report.ComplianceMarkdown(repoRoot)
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(repoRoot, report.ComplianceDoc))
	require.NoError(t, err)
	assert.Equal(t, want, string(got), "docs/COMPLIANCE.md is stale: run make docs")
}

func TestGeneratedTablesAreUpToDate(t *testing.T) {
	t.Parallel()
	read := func(file string) string {
		raw, err := os.ReadFile(filepath.Join(repoRoot, file))
		require.NoError(t, err)
		return string(raw)
	}
	components := read(report.ComponentsDoc)
	nat, err := report.NatCostTable(repoRoot)
	require.NoError(t, err)
	want, err := report.ReplaceSection(components, nat)
	require.NoError(t, err)
	assert.Equal(t, want, components, "%s's NAT cost table is stale: run make docs", report.ComponentsDoc)
	want, err = report.ReplaceBetween(components, report.NaclTableStart, report.NaclTableEnd, report.NaclTable())
	require.NoError(t, err)
	assert.Equal(t, want, components, "%s's network ACL table is stale: run make docs", report.ComponentsDoc)
	for name := range report.ArgsTables {
		table, err := report.ArgsTable(repoRoot, name)
		require.NoError(t, err, name)
		want, err = report.ReplaceBetween(components, report.ArgsStart(name), report.ArgsEnd(name), table)
		require.NoError(t, err, name)
		assert.Equal(t, want, components, "%s's %s arguments table is stale: run make docs", report.ComponentsDoc, name)
	}
	for name, c := range report.OutputsTables {
		table, err := report.OutputsTable(c)
		require.NoError(t, err, name)
		want, err = report.ReplaceBetween(components, report.OutputsStart(name), report.OutputsEnd(name), table)
		require.NoError(t, err, name)
		assert.Equal(t, want, components, "%s's %s outputs table is stale: run make docs", report.ComponentsDoc, name)
	}
	archive, err := report.ArchiveCostTable(repoRoot)
	require.NoError(t, err)
	want, err = report.ReplaceBetween(components, report.ArchiveStart, report.ArchiveEnd, archive)
	require.NoError(t, err)
	assert.Equal(t, want, components, "%s's archive cost table is stale: run make docs", report.ComponentsDoc)
	readme := read("README.md")
	want, err = report.ReplaceBetween(readme, report.ConfigStart, report.ConfigEnd, report.ConfigTable())
	require.NoError(t, err)
	assert.Equal(t, want, readme, "README.md's configuration table is stale: run make docs")
	summary, err := report.ArchiveCostSummary(repoRoot)
	require.NoError(t, err)
	want, err = report.ReplaceBetween(readme, report.ArchiveSummaryStart, report.ArchiveSummaryEnd, summary)
	require.NoError(t, err)
	assert.Equal(t, want, readme, "README.md's archive cost line is stale: run make docs")
}

// An output without a doc tag cannot be documented: the generator refuses it instead of writing an empty row.
func TestAnOutputWithoutADocTagIsRefused(t *testing.T) {
	t.Parallel()
	type component struct {
		Documented pulumi.StringOutput `pulumi:"documented" doc:"says what it is"`
		Bare       pulumi.StringOutput `pulumi:"bare"`
	}
	_, err := report.OutputsTable(component{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "component.Bare has no doc tag")
}

// An argument without a doc comment cannot be documented: the generator refuses it.
func TestAnArgumentWithoutADocCommentIsRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "components"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "components", "x.go"), []byte("package components\n\n"+
		"type NetworkArgs struct {\n\t// VpcCidr is documented.\n\tVpcCidr string\n\n\tBare int\n}\n"), 0o644))
	_, err := report.ArgsTable(dir, "Network")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "NetworkArgs.Bare has no doc comment")
}

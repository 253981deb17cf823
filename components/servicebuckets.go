package components

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// The AWS-owned buckets that workloads in private subnets read through the S3 gateway endpoint. The endpoint
// policy admits only buckets of this account (aws:ResourceAccount), so without these names `docker pull` from
// ECR, `dnf`/`yum` on Amazon Linux and the SSM Agent fail as soon as they reach S3. Each bucket is named exactly
// for the stack's region: no wildcard, so a lookalike bucket someone else registers is never reachable.

// ServiceBucketsAsOf dates the table: it is transcribed from the AWS documentation pages cited on each group.
// AWS adds buckets now and then (for example the SSM Agent's); check the pages when a workload reports 403 on S3
// through the endpoint, and add a name here or, for one stack, to s3EndpointExtraBucketArns.
const ServiceBucketsAsOf = "2026-12-04"

// serviceBucketGroup is the buckets one AWS feature reads, with the page that documents them.
type serviceBucketGroup struct {
	// Service says who reads the buckets, for example "Amazon ECR image layers".
	Service string
	// Doc is the AWS documentation page that lists the buckets and the actions they need.
	Doc string
	// Actions are the read-only actions the page documents.
	Actions []string
	// Buckets are bucket-name patterns: "{region}" is replaced by the stack's region, "{patch}" by the region's
	// Patch Manager suffix and "{snapshot}" by its patch-baseline snapshot bucket's name (patchBuckets).
	Buckets []string
}

// serviceBucketGroups is the allow-list table, in policy order.
var serviceBucketGroups = []serviceBucketGroup{
	{
		Service: "Amazon ECR image layers",
		Doc:     "https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html#ecr-minimum-s3-perms",
		Actions: []string{"s3:GetObject"},
		Buckets: []string{"prod-{region}-starport-layer-bucket"},
	},
	{
		Service: "Amazon Linux 2023 package repositories (dnf) and kernel live patching",
		Doc:     "https://docs.aws.amazon.com/linux/al2023/ug/live-patching.html",
		Actions: []string{"s3:GetObject"},
		Buckets: []string{"al2023-repos-{region}-de612dc2", "al2023-{region}"},
	},
	{
		Service: "Amazon Linux 2 package repositories (yum)",
		Doc:     "https://docs.aws.amazon.com/linux/al2/ug/al2-live-patching.html",
		Actions: []string{"s3:GetObject"},
		Buckets: []string{"amazonlinux.{region}.amazonaws.com", "amazonlinux-2-repos-{region}"},
	},
	{
		Service: "AWS Systems Manager Agent (updates, documents, Patch Manager)",
		Doc:     "https://docs.aws.amazon.com/systems-manager/latest/userguide/ssm-agent-technical-details.html#ssm-agent-minimum-s3-permissions",
		Actions: []string{"s3:GetObject"},
		Buckets: []string{
			"aws-windows-downloads-{region}", "amazon-ssm-{region}", "aws-ssm-{region}", "{snapshot}",
			"aws-patch-manager-{region}-{patch}", "aws-patchmanager-macos-{region}-{patch}",
		},
	},
}

// patchBucketsDoc lists, per region, the suffix of the Patch Manager buckets and the name of the patch-baseline
// snapshot bucket. The other groups' names follow their pattern in every commercial region.
const patchBucketsDoc = "https://docs.aws.amazon.com/systems-manager/latest/userguide/patch-operations-s3-buckets.html"

// patchBucket is one region's row of patchBucketsDoc: the suffix of aws-patch-manager-<region>-<suffix> (the
// macOS bucket has the same one) and, where it is not patch-baseline-snapshot-<region>, the snapshot bucket.
type patchBucket struct{ suffix, snapshot string }

// patchBuckets holds every region patchBucketsDoc documents: the 17 commercial regions enabled by default, then
// the opt-in regions it lists. A region it does not list (a newer opt-in region, aws-cn, aws-us-gov) has no
// service-bucket names here, and a stack there is an error naming s3EndpointNoAwsServiceBuckets.
var patchBuckets = map[string]patchBucket{
	"us-east-1": {suffix: "1970c647d"}, "us-east-2": {suffix: "552881074"}, "us-west-1": {suffix: "8badb4304"},
	"us-west-2": {suffix: "34d7f99f8"}, "ap-south-1": {suffix: "cb7c62ff9"}, "ap-northeast-1": {suffix: "4849fa78f"},
	"ap-northeast-2": {suffix: "10467995c"}, "ap-northeast-3": {suffix: "67373598a"},
	"ap-southeast-1": {suffix: "7fdfd9ef7"}, "ap-southeast-2": {suffix: "17283a275"},
	"ca-central-1": {suffix: "3148e69e3"}, "eu-central-1": {suffix: "9163fdaaf"}, "eu-west-1": {suffix: "5522fb710"},
	"eu-west-2": {suffix: "902a2bc74"}, "eu-west-3": {suffix: "29bf85721"}, "eu-north-1": {suffix: "795879e9b"},
	"sa-east-1": {suffix: "ddf4b6a09"},
	// Opt-in regions: usable once the account has enabled them.
	"af-south-1":     {suffix: "bdd5f65a9", snapshot: "patch-baseline-snapshot-af-south-1-tbxdb5b9"},
	"ap-east-1":      {suffix: "632356271"},
	"ap-south-2":     {suffix: "32f4b4128", snapshot: "patch-baseline-snapshot-ap-south-2-50209442"},
	"ap-southeast-3": {suffix: "aa48fc462", snapshot: "patch-baseline-snapshot-ap-southeast-3-be0a3174"},
	"ap-southeast-4": {suffix: "01e2c40d3", snapshot: "patch-baseline-snapshot-ap-southeast-4-dc6f76ce"},
	"ca-west-1":      {suffix: "9e3a4b2f9"},
	"eu-central-2":   {suffix: "184ce43c8"},
	"eu-south-1":     {suffix: "c52f3f594"},
	"eu-south-2":     {suffix: "a4cf248b1", snapshot: "patch-baseline-snapshot-eu-south-2-df2c9d70"},
	"il-central-1":   {suffix: "e221cb57b"},
	"me-central-1":   {suffix: "2932f2f80"},
	"me-south-1":     {suffix: "a53fc9dce", snapshot: "patch-baseline-snapshot-me-south-1-uduvl7q8"},
}

// DefaultRegions returns the commercial regions every account has enabled: those launched before 20 March 2019
// (AWS Account Management, "Enable or disable AWS Regions"). The program composes in each of them.
func DefaultRegions() []string { return slices.Clone(defaultRegions) }

var defaultRegions = []string{"us-east-1", "us-east-2", "us-west-1", "us-west-2", "ap-south-1", "ap-northeast-1",
	"ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ca-central-1", "eu-central-1",
	"eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1", "sa-east-1"}

// ServiceBucketRegions returns the regions the service-bucket table knows, sorted.
func ServiceBucketRegions() []string {
	out := make([]string, 0, len(patchBuckets))
	for r := range patchBuckets {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// ServiceBucket is one AWS-owned bucket in one region, with the read-only actions workloads need on it.
type ServiceBucket struct {
	Name    string
	Actions []string
	Service string
}

// ServiceBuckets returns the AWS-owned buckets of a region, or an error naming the regions the table knows.
func ServiceBuckets(region string) ([]ServiceBucket, error) {
	p, ok := patchBuckets[region]
	if !ok {
		return nil, fmt.Errorf("no AWS service bucket names are known for region %q (the table as of %s has %s; "+
			"%s lists the regions AWS documents)", region, ServiceBucketsAsOf, strings.Join(ServiceBucketRegions(), ", "), patchBucketsDoc)
	}
	snapshot := p.snapshot
	if snapshot == "" {
		snapshot = "patch-baseline-snapshot-" + region
	}
	names := strings.NewReplacer("{snapshot}", snapshot, "{patch}", p.suffix, "{region}", region)
	var out []ServiceBucket
	for _, g := range serviceBucketGroups {
		for _, pattern := range g.Buckets {
			out = append(out, ServiceBucket{Name: names.Replace(pattern), Actions: g.Actions, Service: g.Service})
		}
	}
	return out, nil
}

// serviceBucketStatements groups the buckets by their action list, one endpoint statement per list (today one:
// s3:GetObject on each bucket's objects).
func serviceBucketStatements(partition string, buckets []ServiceBucket) []resourceStatement {
	byActions := map[string][]string{}
	var keys []string
	for _, b := range buckets {
		k := strings.Join(b.Actions, ",")
		if _, ok := byActions[k]; !ok {
			keys = append(keys, k)
		}
		byActions[k] = append(byActions[k], fmt.Sprintf("arn:%s:s3:::%s/*", partition, b.Name))
	}
	sort.Strings(keys)
	var out []resourceStatement
	for i, k := range keys {
		sid := "ReadAwsServiceBuckets"
		if i > 0 {
			sid = fmt.Sprintf("ReadAwsServiceBuckets%d", i+1)
		}
		out = append(out, resourceStatement{
			Sid:       sid,
			Effect:    allow,
			Principal: anyPrincipal(),
			Action:    action(strings.Split(k, ",")...),
			Resource:  resource(byActions[k]...),
		})
	}
	return out
}

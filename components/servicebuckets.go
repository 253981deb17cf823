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
const ServiceBucketsAsOf = "2026-11-28"

// serviceBucketGroup is the buckets one AWS feature reads, with the page that documents them.
type serviceBucketGroup struct {
	// Service says who reads the buckets, for example "Amazon ECR image layers".
	Service string
	// Doc is the AWS documentation page that lists the buckets and the actions they need.
	Doc string
	// Actions are the read-only actions the page documents.
	Actions []string
	// Buckets are bucket-name patterns; "{region}" is replaced by the stack's region.
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
		Service: "Amazon Linux 2023 package repositories (dnf)",
		Doc:     "https://docs.aws.amazon.com/linux/al2023/ug/live-patching.html",
		Actions: []string{"s3:GetObject"},
		Buckets: []string{"al2023-repos-{region}-de612dc2"},
	},
	{
		Service: "Amazon Linux 2 package repositories (yum)",
		Doc:     "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/al2-live-patching.html",
		Actions: []string{"s3:GetObject"},
		Buckets: []string{"amazonlinux.{region}.amazonaws.com", "amazonlinux-2-repos-{region}"},
	},
	{
		Service: "AWS Systems Manager Agent (updates, documents, patching, Distributor)",
		Doc:     "https://docs.aws.amazon.com/systems-manager/latest/userguide/ssm-agent-minimum-s3-permissions.html",
		Actions: []string{"s3:GetObject"},
		Buckets: []string{
			"aws-ssm-{region}", "aws-windows-downloads-{region}", "amazon-ssm-{region}", "amazon-ssm-packages-{region}",
			"{region}-birdwatcher-prod", "aws-ssm-distributor-file-{region}", "aws-ssm-document-attachments-{region}",
			"patch-baseline-snapshot-{region}", "aws-patchmanager-macos-{region}",
		},
	},
}

// serviceBucketRegions are the regions whose bucket names the table has been checked for (every name above is
// documented per commercial region, but AWS has exceptions in newer and opt-in regions). A stack in another
// region is an error, never an endpoint that silently blocks package installs.
var serviceBucketRegions = []string{"eu-central-1", "eu-west-1", "us-east-1"}

// ServiceBucketRegions returns the regions the service-bucket table knows.
func ServiceBucketRegions() []string { return slices.Clone(serviceBucketRegions) }

// ServiceBucket is one AWS-owned bucket in one region, with the read-only actions workloads need on it.
type ServiceBucket struct {
	Name    string
	Actions []string
	Service string
}

// ServiceBuckets returns the AWS-owned buckets of a region, or an error naming the regions the table knows.
func ServiceBuckets(region string) ([]ServiceBucket, error) {
	if !slices.Contains(serviceBucketRegions, region) {
		return nil, fmt.Errorf("no AWS service bucket names are known for region %q (the table as of %s has %s)",
			region, ServiceBucketsAsOf, strings.Join(serviceBucketRegions, ", "))
	}
	var out []ServiceBucket
	for _, g := range serviceBucketGroups {
		for _, pattern := range g.Buckets {
			out = append(out, ServiceBucket{Name: strings.ReplaceAll(pattern, "{region}", region),
				Actions: g.Actions, Service: g.Service})
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

package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// s3Endpoint creates the S3 gateway endpoint on the private route tables: S3 traffic stays on AWS's network and
// pays no NAT data charge. Its policy decides which buckets are reachable through it.
func s3Endpoint(s scope, vpc *ec2.Vpc, routeTables []*ec2.RouteTable, acct account, serviceBuckets []ServiceBucket,
	extraBucketArns []string) (*ec2.VpcEndpoint, error) {
	policy, err := s3EndpointPolicy(acct, serviceBuckets, extraBucketArns)
	if err != nil {
		return nil, fmt.Errorf("render policy: %w", err)
	}
	var rtIds pulumi.StringArray
	for _, rt := range routeTables {
		rtIds = append(rtIds, rt.ID())
	}
	return ec2.NewVpcEndpoint(s.ctx, s.name+"-s3", &ec2.VpcEndpointArgs{
		VpcId:           vpc.ID(),
		ServiceName:     pulumi.String(fmt.Sprintf("%s.%s.s3", acct.ReverseDNSPrefix, acct.Region)),
		VpcEndpointType: pulumi.String("Gateway"),
		RouteTableIds:   rtIds,
		Policy:          pulumi.String(policy),
		Tags:            s.childTags(s.name + "-s3"),
	}, s.parent)
}

// s3EndpointPolicy lets the endpoint reach only this account's buckets (aws:ResourceAccount), plus read-only
// access to the AWS service buckets and the extra buckets. Without it, a compromised workload could copy data to
// any bucket in the world over the endpoint, out of sight of egress controls on the NAT path.
func s3EndpointPolicy(acct account, serviceBuckets []ServiceBucket, extraBucketArns []string) (string, error) {
	doc := endpointPolicy{{
		Sid:       "OwnAccountBucketsOnly",
		Effect:    allow,
		Principal: anyPrincipal(),
		Action:    action("s3:*"),
		Resource:  resource("*"),
		Condition: conditions{"StringEquals": {"aws:ResourceAccount": acct.ID}},
	}}
	doc = append(doc, serviceBucketStatements(acct.Partition, serviceBuckets)...)
	if len(extraBucketArns) > 0 {
		var arns []string
		for _, arn := range extraBucketArns {
			arns = append(arns, arn, arn+"/*")
		}
		doc = append(doc, resourceStatement{
			Sid:       "ReadExtraBuckets",
			Effect:    allow,
			Principal: anyPrincipal(),
			Action:    action("s3:GetObject", "s3:ListBucket"),
			Resource:  resource(arns...),
		})
	}
	return doc.JSON()
}

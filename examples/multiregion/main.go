// Command multiregion shows the components as a library: a second, small Pulumi program that lays a Network and
// its FlowLogs in another region than the stack's, through an explicit provider. Every lookup the components make
// (account, region, partition, availability zones) and every child they create go through that provider, so
// ARNs, the S3 endpoint's service name and the AZs are eu-west-1's whatever aws:region says.
//
// Run it as its own Pulumi project (a Pulumi.yaml with runtime go, main: examples/multiregion), or read
// main_test.go, which runs it under mocks.
package main

import (
	"github.com/aws-foundation/aws-foundation/components"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Region is where this program lays its network.
const Region = "eu-west-1"

func main() {
	pulumi.Run(run)
}

func run(ctx *pulumi.Context) error {
	provider, err := aws.NewProvider(ctx, Region, &aws.ProviderArgs{Region: pulumi.String(Region)})
	if err != nil {
		return err
	}
	inRegion := pulumi.Provider(provider)
	tags := map[string]string{"Owner": "platform", "CostCenter": "dr"}
	network, err := components.NewNetwork(ctx, "replica", &components.NetworkArgs{
		VpcCidr:     "10.30.0.0/16",
		NatStrategy: components.NatNone,
		Tags:        tags,
	}, inRegion)
	if err != nil {
		return err
	}
	flowLogs, err := components.NewFlowLogs(ctx, "replica", &components.FlowLogsArgs{
		VpcId: network.VpcId,
		Tags:  tags,
	}, inRegion)
	if err != nil {
		return err
	}
	for k, v := range network.Outputs() {
		ctx.Export(k, v)
	}
	ctx.Export("flowLogGroupArn", flowLogs.LogGroupArn)
	return nil
}

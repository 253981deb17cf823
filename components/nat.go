package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// natCount is how many NAT gateways each strategy creates.
var natCount = map[NatStrategy]int{NatNone: 0, NatSingle: 1, NatOnePerAz: AzCount}

// natGateways creates none, one (in the first public subnet) or one per AZ, each with its Elastic IP. The
// gateway waits for the internet gateway: it cannot route before the VPC has one.
func (b *networkBuild) natGateways() error {
	var ids, ips []pulumi.StringOutput
	for i := range natCount[b.args.NatStrategy] {
		n := fmt.Sprintf("%s-nat-%s", b.name, b.azs[i])
		eip, err := ec2.NewEip(b.ctx, n, &ec2.EipArgs{
			Domain: pulumi.String("vpc"),
			Tags:   b.tags(n),
		}, b.parent)
		if err != nil {
			return err
		}
		gw, err := ec2.NewNatGateway(b.ctx, n, &ec2.NatGatewayArgs{
			AllocationId: eip.ID(),
			SubnetId:     b.publics[i].ID(),
			Tags:         b.tags(n),
		}, b.parent, pulumi.DependsOn([]pulumi.Resource{b.igw}))
		if err != nil {
			return err
		}
		b.nats = append(b.nats, gw)
		ids = append(ids, gw.ID().ToStringOutput())
		ips = append(ips, eip.PublicIp)
	}
	b.c.NatGatewayIds = stringArrayOutput(ids)
	b.c.NatPublicIps = stringArrayOutput(ips)
	return nil
}

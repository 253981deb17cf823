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
func natGateways(s scope, strategy NatStrategy, igw *ec2.InternetGateway, publics []*ec2.Subnet, azs []string) ([]*ec2.NatGateway, []*ec2.Eip, error) {
	var nats []*ec2.NatGateway
	var eips []*ec2.Eip
	for i := range natCount[strategy] {
		n := fmt.Sprintf("%s-nat-%s", s.name, azs[i])
		eip, err := ec2.NewEip(s.ctx, n, &ec2.EipArgs{
			Domain: pulumi.String("vpc"),
			Tags:   s.childTags(n),
		}, s.parent)
		if err != nil {
			return nil, nil, err
		}
		gw, err := ec2.NewNatGateway(s.ctx, n, &ec2.NatGatewayArgs{
			AllocationId: eip.ID(),
			SubnetId:     publics[i].ID(),
			Tags:         s.childTags(n),
		}, s.parent, pulumi.DependsOn([]pulumi.Resource{igw}))
		if err != nil {
			return nil, nil, err
		}
		nats = append(nats, gw)
		eips = append(eips, eip)
	}
	return nats, eips, nil
}

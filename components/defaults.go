package components

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// adoptDefaults takes over the two things AWS creates with every VPC and leaves open.
//
// The default security group, adopted with no rules, loses AWS's allow-all egress and intra-group ingress:
// anything launched without an explicit group can talk to nothing (FSBP EC2.2, CIS 5.4).
//
// The default network ACL holds the private rules: the VPC and return traffic. Private subnets use it, and so
// does any subnet another stack adds to this VPC later (AWS associates every new subnet with the default ACL).
// subnetIds is deliberately not listed, and changes to it are ignored. pulumi-aws (the Terraform provider's
// aws_default_network_acl) reads back every subnet associated with the default ACL, and an association cannot be
// "removed" from it, only replaced by another ACL's. Listing our subnets would make every subnet another stack
// adds show up as a change to undo: a diff on every preview and drift on every refresh that no update can fix
// (the provider docs' "Managing Subnets In A Default Network ACL", and terraform-aws-modules/vpc#736). With
// IgnoreChanges, Pulumi keeps the stored value for previews and updates, and since Pulumi 3.120.0 a refresh diffs
// against the program with the same IgnoreChanges (pulumi/pulumi#16146, CHANGELOG 3.120.0), so `pulumi refresh --expect-no-changes`
// stays clean. The public subnets are moved off this ACL by the public ACL's own association (nacl.go).
func (b *networkBuild) adoptDefaults() error {
	sg, err := ec2.NewDefaultSecurityGroup(b.ctx, b.name+"-default-sg", &ec2.DefaultSecurityGroupArgs{
		VpcId:   b.vpc.ID(),
		Ingress: ec2.DefaultSecurityGroupIngressArray{},
		Egress:  ec2.DefaultSecurityGroupEgressArray{},
		Tags:    b.tags(b.name + "-default-sg"),
	}, b.parent)
	if err != nil {
		return err
	}
	b.c.DefaultSecurityGroupId = sg.ID().ToStringOutput()

	ingress, egress := defaultNaclRuleArgs(privateNaclIngress(b.args.VpcCidr), naclEgress())
	nacl, err := ec2.NewDefaultNetworkAcl(b.ctx, b.name+"-default-nacl", &ec2.DefaultNetworkAclArgs{
		DefaultNetworkAclId: b.vpc.DefaultNetworkAclId,
		Ingress:             ingress,
		Egress:              egress,
		Tags:                b.tags(b.name+"-default-nacl", "Tier", tierPrivate.String()),
	}, b.parent, pulumi.IgnoreChanges([]string{"subnetIds"}))
	if err != nil {
		return err
	}
	b.c.DefaultNetworkAclId = nacl.ID().ToStringOutput()
	return nil
}

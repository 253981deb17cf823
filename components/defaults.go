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
func adoptDefaults(s scope, vpc *ec2.Vpc, cidr string) (*ec2.DefaultSecurityGroup, *ec2.DefaultNetworkAcl, error) {
	sg, err := ec2.NewDefaultSecurityGroup(s.ctx, s.name+"-default-sg", &ec2.DefaultSecurityGroupArgs{
		VpcId:   vpc.ID(),
		Ingress: ec2.DefaultSecurityGroupIngressArray{},
		Egress:  ec2.DefaultSecurityGroupEgressArray{},
		Tags:    s.childTags(s.name + "-default-sg"),
	}, s.parent)
	if err != nil {
		return nil, nil, err
	}
	ingress, egress := defaultNaclRuleArgs(privateNaclIngress(cidr), naclEgress())
	nacl, err := ec2.NewDefaultNetworkAcl(s.ctx, s.name+"-default-nacl", &ec2.DefaultNetworkAclArgs{
		DefaultNetworkAclId: vpc.DefaultNetworkAclId,
		Ingress:             ingress,
		Egress:              egress,
		Tags:                s.childTags(s.name+"-default-nacl", "Tier", tierPrivate.String()),
	}, s.parent, pulumi.IgnoreChanges([]string{"subnetIds"}))
	return sg, nacl, err
}

package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// account is where the stack deploys, read from the provider (never hard-coded) so policies name the right
// partition, region and account.
type account struct {
	ID               string // 12-digit account id
	Region           string // e.g. us-east-1
	Partition        string // aws, aws-cn, aws-us-gov
	DNSSuffix        string // amazonaws.com, amazonaws.com.cn
	ReverseDNSPrefix string // com.amazonaws, cn.com.amazonaws
}

// lookupAccount asks the provider who and where we are. A component calls it after registering itself, with
// pulumi.Parent(component) among opts, so the lookups use the provider the caller gave the component (its region,
// its account) rather than the stack's default provider.
func lookupAccount(ctx *pulumi.Context, opts ...pulumi.InvokeOption) (account, error) {
	id, err := aws.GetCallerIdentity(ctx, nil, opts...)
	if err != nil {
		return account{}, fmt.Errorf("look up caller identity: %w", err)
	}
	region, err := aws.GetRegion(ctx, nil, opts...)
	if err != nil {
		return account{}, fmt.Errorf("look up region: %w", err)
	}
	part, err := aws.GetPartition(ctx, nil, opts...)
	if err != nil {
		return account{}, fmt.Errorf("look up partition: %w", err)
	}
	return account{
		ID:               id.AccountId,
		Region:           region.Name,
		Partition:        part.Partition,
		DNSSuffix:        part.DnsSuffix,
		ReverseDNSPrefix: part.ReverseDnsPrefix,
	}, nil
}

// arn builds an ARN in this account's partition. Pass region or accountID as "" where the service omits them.
func (a account) arn(service, region, accountID, resource string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", a.Partition, service, region, accountID, resource)
}

// rootArn is the account root principal, used as key administrator so a key can never become unmanageable.
func (a account) rootArn() string { return a.arn("iam", "", a.ID, "root") }

// regionalServicePrincipal returns a regional service principal such as logs.us-east-1.amazonaws.com.
func (a account) regionalServicePrincipal(service string) string {
	return fmt.Sprintf("%s.%s.%s", service, a.Region, a.DNSSuffix)
}

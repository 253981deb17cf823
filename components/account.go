package components

import (
	"errors"
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

// Preflighter is the Args of a component with checks that need the account and region: NetworkArgs (a region
// without AWS service-bucket names), FlowLogsArgs (a boundary of another account), StateBackendArgs (a derived
// name too long).
type Preflighter interface {
	preflight(project string, acct account) error
}

// Preflight looks up the account and region once, with opts (pass the pulumi.Provider the components will get),
// and reports, as *ValidationErrors, what only they reveal for each of args. A composition of several components
// calls it before it creates any of them, so that none registers anything when another would fail. Each
// constructor makes its own check again after it has looked up the account through its own provider, before it
// creates any child.
func Preflight(ctx *pulumi.Context, args []Preflighter, opts ...pulumi.InvokeOption) error {
	acct, err := lookupAccount(ctx, opts...)
	if err != nil {
		return err
	}
	var errs []error
	for _, a := range args {
		errs = append(errs, a.preflight(ctx.Project(), acct))
	}
	return errors.Join(errs...)
}

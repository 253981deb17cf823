package components

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// KeyDeletionWindowDays is the waiting period Pulumi names when it deletes a key (deletionWindowInDays): the longest AWS
// allows, so a mistaken deletion can be cancelled for a month.
const KeyDeletionWindowDays = 30

// customerKey describes a key to create: its description, alias name, rendered policy and tags.
type customerKey struct {
	description, alias, policy string
	tags                       pulumi.StringMap
}

// newCustomerKey creates a symmetric customer-managed key with yearly rotation, deletionWindowInDays 30 (the
// waiting period Pulumi uses when it deletes the key) and an explicit policy, plus its alias. Both are named off
// name and take opts (which carry the parent).
func newCustomerKey(ctx *pulumi.Context, name string, k customerKey, opts ...pulumi.ResourceOption) (*kms.Key, *kms.Alias, error) {
	key, err := kms.NewKey(ctx, name, &kms.KeyArgs{
		Description:           pulumi.String(k.description),
		KeyUsage:              pulumi.String("ENCRYPT_DECRYPT"),
		CustomerMasterKeySpec: pulumi.String("SYMMETRIC_DEFAULT"),
		EnableKeyRotation:     pulumi.Bool(true),
		DeletionWindowInDays:  pulumi.Int(KeyDeletionWindowDays),
		Policy:                pulumi.String(k.policy),
		Tags:                  k.tags,
	}, opts...)
	if err != nil {
		return nil, nil, err
	}
	a, err := kms.NewAlias(ctx, name, &kms.AliasArgs{
		Name:        pulumi.String(k.alias),
		TargetKeyId: key.KeyId,
	}, opts...)
	if err != nil {
		return nil, nil, err
	}
	return key, a, nil
}

// rootAdminStatement makes the account root the key's administrator. It keeps the key manageable (AWS refuses
// policies that lock everyone out) and lets IAM policies in this account grant use of the key.
func rootAdminStatement(rootArn string) resourceStatement {
	return resourceStatement{
		Sid:       "AccountRootAdministersKey",
		Effect:    allow,
		Principal: awsPrincipal(rootArn),
		Action:    action("kms:*"),
		Resource:  resource("*"),
	}
}

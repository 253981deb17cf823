package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// KeyDeletionWindowDays is the waiting period Pulumi names when it deletes a key (deletionWindowInDays): the longest AWS
// allows, so a mistaken deletion can be cancelled for a month.
const KeyDeletionWindowDays = 30

// customerKey describes a key to create: its description, alias name, the account root that administers it, the
// grants its policy makes besides, and its tags.
type customerKey struct {
	description, alias string
	// rootArn is the account root (arn:<partition>:iam::<account>:root). The key policy always starts with
	// rootAdminStatement for it: that is what makes the lockout bypass below safe.
	rootArn string
	grants  keyPolicy
	tags    pulumi.StringMap
	// bypassLockoutCheck sets BypassPolicyLockoutSafetyCheck (newCustomerKey says when a key needs it).
	bypassLockoutCheck bool
}

// policy renders the key policy: the account root's administration first, then the grants.
func (k customerKey) policy() (string, error) {
	if k.rootArn == "" {
		return "", fmt.Errorf("key policy: names no account root to administer the key")
	}
	return append(keyPolicy{rootAdminStatement(k.rootArn)}, k.grants...).JSON()
}

// newCustomerKey creates a symmetric customer-managed key with yearly rotation, deletionWindowInDays 30 (the
// waiting period Pulumi uses when it deletes the key) and an explicit policy, plus its alias. Both are named off
// name and take opts (which carry the parent).
//
// CreateKey runs KMS's lockout safety check: the new policy must let the caller make a later PutKeyPolicy. The
// root statement hands that question to the caller's IAM policies, and a deploy role that is refused
// kms:PutKeyPolicy on purpose (deploy-prod's evidence guard) would fail CreateKey with
// MalformedPolicyDocumentException; whether the check sees the tags the request carries (which deploy-dev's
// aws:ResourceTag grant rests on) is not documented either. So a key that the CI deploy roles create sets
// bypassLockoutCheck. The policy is built here, always with the account root's administration: the key stays
// manageable through IAM by whoever the account lets administer keys, which is what the check guarantees. A key
// that a person with administrator rights creates (the state key) passes the check and does not bypass it, so an
// organization that denies the bypass (AWS Control Tower's CT.KMS.PV.3) need only exempt whoever deploys the
// environment stacks: the deploy roles, and a person who runs their `pulumi up` by hand.
func newCustomerKey(ctx *pulumi.Context, name string, k customerKey, opts ...pulumi.ResourceOption) (*kms.Key, *kms.Alias, error) {
	policy, err := k.policy()
	if err != nil {
		return nil, nil, fmt.Errorf("key %q: %w", name, err)
	}
	key, err := kms.NewKey(ctx, name, &kms.KeyArgs{
		Description:                    pulumi.String(k.description),
		KeyUsage:                       pulumi.String("ENCRYPT_DECRYPT"),
		CustomerMasterKeySpec:          pulumi.String("SYMMETRIC_DEFAULT"),
		EnableKeyRotation:              pulumi.Bool(true),
		DeletionWindowInDays:           pulumi.Int(KeyDeletionWindowDays),
		Policy:                         pulumi.String(policy),
		BypassPolicyLockoutSafetyCheck: pulumi.Bool(k.bypassLockoutCheck),
		Tags:                           k.tags,
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

// Command aws-foundation is the Pulumi program that lays a secure AWS foundation: the state backend, the
// network and its flow logs. Which of them a stack gets is decided by its stackKind config key.
package main

import (
	"github.com/aws-foundation/aws-foundation/stacks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(stacks.Run)
}

package components

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTerraformBackendBlockLocksWithS3LockFilesAndNamesTheTableForOlderTerraform(t *testing.T) {
	got := terraformBackendBlock("b", "eu-west-1", "arn:aws:kms:eu-west-1:1:key/k", "t")
	assert.Equal(t, `terraform {
  backend "s3" {
    bucket       = "b"
    key          = "<project>/terraform.tfstate" # one key per Terraform project
    region       = "eu-west-1"
    encrypt      = true
    kms_key_id   = "arn:aws:kms:eu-west-1:1:key/k"
    use_lockfile = true # S3-native locking, Terraform >= 1.11
    # Terraform before 1.11: replace use_lockfile with dynamodb_table = "t"
  }
}
`, got)
	for _, line := range strings.Split(got, "\n") {
		if strings.Contains(line, "dynamodb_table") {
			assert.True(t, strings.HasPrefix(strings.TrimSpace(line), "#"), "the table is a commented option: %q", line)
		}
	}
}

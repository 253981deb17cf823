package components

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServiceBucketTableIsDatedCitedReadOnlyAndExact(t *testing.T) {
	_, err := time.Parse("2006-01-02", ServiceBucketsAsOf)
	require.NoError(t, err, "ServiceBucketsAsOf must be a date")
	for _, g := range serviceBucketGroups {
		assert.True(t, strings.HasPrefix(g.Doc, "https://docs.aws.amazon.com/"), "%s: cite the AWS page", g.Service)
		for _, a := range g.Actions {
			assert.Contains(t, []string{"s3:GetObject", "s3:ListBucket"}, a, "%s: read-only actions only", g.Service)
		}
		for _, b := range g.Buckets {
			assert.True(t, strings.Contains(b, "{region}") || b == "{snapshot}", "%s: %s must be named for the region", g.Service, b)
			assert.NotContains(t, b, "*", "%s: %s", g.Service, b)
		}
	}
	for _, region := range ServiceBucketRegions() {
		buckets, err := ServiceBuckets(region)
		require.NoError(t, err)
		for _, b := range buckets {
			assert.Contains(t, b.Name, region)
			assert.NotContains(t, b.Name, "{", "%s: every placeholder is filled", region)
			assert.LessOrEqual(t, len(b.Name), 63, "%s: S3 bucket names have at most 63 characters", b.Name)
		}
	}
	_, err = ServiceBuckets("mx-central-1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `region "mx-central-1"`)
}

// The 17 commercial regions that need no opt-in (AWS's "Enable or disable AWS Regions": every region launched
// before 20 March 2019) all have their service buckets.
func TestEveryDefaultCommercialRegionHasItsServiceBuckets(t *testing.T) {
	patterns := 0
	for _, g := range serviceBucketGroups {
		patterns += len(g.Buckets)
	}
	for _, region := range DefaultRegions() {
		buckets, err := ServiceBuckets(region)
		require.NoError(t, err, region)
		assert.Len(t, buckets, patterns, "%s: one bucket per pattern", region)
	}
	assert.Len(t, DefaultRegions(), 17)
}

// A region whose snapshot bucket AWS names differently gets that name, not the pattern (a bucket of that
// pattern's name could belong to anyone).
func TestARegionWithADocumentedExceptionGetsTheExactBucket(t *testing.T) {
	buckets, err := ServiceBuckets("me-south-1")
	require.NoError(t, err)
	var names []string
	for _, b := range buckets {
		names = append(names, b.Name)
	}
	assert.Contains(t, names, "patch-baseline-snapshot-me-south-1-uduvl7q8")
	assert.NotContains(t, names, "patch-baseline-snapshot-me-south-1")
	assert.Contains(t, names, "aws-patch-manager-me-south-1-a53fc9dce")
}

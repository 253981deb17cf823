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
			assert.Contains(t, b, "{region}", "%s: %s must be named for the region", g.Service, b)
			assert.NotContains(t, b, "*", "%s: %s", g.Service, b)
		}
	}
	for _, region := range ServiceBucketRegions() {
		buckets, err := ServiceBuckets(region)
		require.NoError(t, err)
		for _, b := range buckets {
			assert.Contains(t, b.Name, region)
		}
	}
	_, err = ServiceBuckets("ap-south-2")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `region "ap-south-2"`)
}

// Package cost estimates a stack's monthly AWS bill from the resources the program registers, with a dated
// price table and documented, overridable traffic assumptions.
package cost

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aws-foundation/aws-foundation/internal/buckets"
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
)

// PricesAsOf and PriceSource date and source the price table. Prices are on-demand list prices in USD,
// transcribed from the AWS pricing pages of each service (Amazon VPC, AWS KMS, Amazon DynamoDB, Amazon S3,
// Amazon CloudWatch); they are not fetched at run time. Check them before approving a budget.
const (
	PricesAsOf  = "2026-11-27"
	PriceSource = "AWS public pricing pages: Amazon VPC (NAT gateway, public IPv4), AWS KMS, Amazon DynamoDB on-demand, Amazon S3 Standard, Amazon CloudWatch Logs (vended logs)"
	// ArchivePriceSource qualifies the log archive's unit prices, which the copies of AWS's pricing pages
	// readable offline do not carry: check them on the live pages before approving a budget.
	ArchivePriceSource = "NOT CONFIRMED from AWS's pricing pages (not readable offline), the same figures in every region: " +
		"vended-log delivery to S3 $0.25/GB (first 10 TB; an AWS sample's price table), Parquet conversion $0.035/GB (as remembered from the CloudWatch pricing page), " +
		"S3 Glacier Deep Archive $0.00099/GB-month and $0.05 per 1,000 transitions (third-party transcriptions of the S3 page), " +
		"CloudWatch $0.30 per metric-month and $0.10 per standard alarm-month (as remembered from the CloudWatch pricing page)"
)

// DeepArchiveOverheadKB is what S3 bills besides an object's own bytes once it is in Deep Archive: 8 KB of index at
// the S3 Standard rate and 32 KB at the Deep Archive rate (S3 storage classes docs).
const (
	DeepArchiveStandardOverheadKB = 8
	DeepArchiveOverheadKB         = 32
)

// ReplicationMetricsPerRule are the CloudWatch metrics S3 publishes for a replication rule with metrics enabled,
// billed as custom metrics: ReplicationLatency, BytesPendingReplication, OperationsPendingReplication and
// OperationsFailedReplication (S3 replication metrics docs).
const ReplicationMetricsPerRule = 4

// HoursPerMonth is AWS's billing month (8,760 hours / 12).
const HoursPerMonth = 730

// KmsBilledRotations is how many automatic rotations of a key AWS KMS bills, a key month each; later ones are
// free (AWS KMS pricing). A yearly-rotated key so costs three key months a month from its third year on.
const KmsBilledRotations = 2

// NotPriced says what the estimate leaves out.
const NotPriced = "internet data transfer out of NAT'd traffic ($0.09/GB in us-east-1 after the account's free 100 GB), " +
	"and data transfer of workloads"

// Prices are one region's unit prices.
type Prices struct {
	NatGatewayHour        float64 // per NAT gateway hour
	NatGatewayGB          float64 // per GB processed
	PublicIPv4Hour        float64 // per public IPv4 address hour (Elastic IPs included, since February 2024)
	KmsKeyMonth           float64 // per customer-managed key month, and again for each of its first two rotations
	CrossAzGB             float64 // data transfer between AZs of a region, per GB in each direction
	KmsPer10kRequests     float64
	DynamoWritePerMillion float64 // on-demand write request units
	DynamoReadPerMillion  float64
	S3StorageGBMonth      float64 // S3 Standard, first 50 TB
	S3PutPer1000          float64
	S3GetPer1000          float64
	LogsIngestGB          float64 // CloudWatch Logs vended-log ingestion, first 10 TB
	LogsStorageGBMonth    float64
	// The log archive's (ArchivePriceSource).
	VendedToS3GB        float64 // vended-log delivery to S3, first 10 TB
	ParquetConversionGB float64
	DeepArchiveGBMonth  float64
	DeepArchivePer1000  float64 // lifecycle transitions into Deep Archive
	MetricMonth         float64 // CloudWatch custom metric, first 10,000
	AlarmMonth          float64 // CloudWatch standard-resolution alarm
}

// archivePrices are the log archive's unit prices, the same in every region of the table (ArchivePriceSource).
var archivePrices = Prices{VendedToS3GB: 0.25, ParquetConversionGB: 0.035, DeepArchiveGBMonth: 0.00099, DeepArchivePer1000: 0.05,
	MetricMonth: 0.30, AlarmMonth: 0.10}

func init() {
	for r, p := range PriceTable {
		p.VendedToS3GB, p.ParquetConversionGB = archivePrices.VendedToS3GB, archivePrices.ParquetConversionGB
		p.DeepArchiveGBMonth, p.DeepArchivePer1000 = archivePrices.DeepArchiveGBMonth, archivePrices.DeepArchivePer1000
		p.MetricMonth, p.AlarmMonth = archivePrices.MetricMonth, archivePrices.AlarmMonth
		PriceTable[r] = p
	}
}

// PriceTable holds the regions the model knows. An unknown region is an error, never a silent zero.
var PriceTable = map[string]Prices{
	"us-east-1": {NatGatewayHour: 0.045, NatGatewayGB: 0.045, PublicIPv4Hour: 0.005, KmsKeyMonth: 1, CrossAzGB: 0.01, KmsPer10kRequests: 0.03,
		DynamoWritePerMillion: 0.625, DynamoReadPerMillion: 0.125, S3StorageGBMonth: 0.023, S3PutPer1000: 0.005,
		S3GetPer1000: 0.0004, LogsIngestGB: 0.50, LogsStorageGBMonth: 0.03},
	"eu-west-1": {NatGatewayHour: 0.048, NatGatewayGB: 0.048, PublicIPv4Hour: 0.005, KmsKeyMonth: 1, CrossAzGB: 0.01, KmsPer10kRequests: 0.03,
		DynamoWritePerMillion: 0.7068, DynamoReadPerMillion: 0.1413, S3StorageGBMonth: 0.023, S3PutPer1000: 0.005,
		S3GetPer1000: 0.0004, LogsIngestGB: 0.57, LogsStorageGBMonth: 0.03},
	"eu-central-1": {NatGatewayHour: 0.052, NatGatewayGB: 0.052, PublicIPv4Hour: 0.005, KmsKeyMonth: 1, CrossAzGB: 0.01, KmsPer10kRequests: 0.03,
		DynamoWritePerMillion: 0.7625, DynamoReadPerMillion: 0.1525, S3StorageGBMonth: 0.0245, S3PutPer1000: 0.0054,
		S3GetPer1000: 0.00043, LogsIngestGB: 0.63, LogsStorageGBMonth: 0.0324},
}

// Regions lists the regions of the price table, sorted.
func Regions() []string {
	var out []string
	for r := range PriceTable {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// Assumptions are the traffic volumes the estimate needs and the resources cannot tell. Override them with
// -assume key=value in the inventory command.
type Assumptions struct {
	NatGBPerMonth          float64 // GB through all NAT gateways of the stack together
	FlowLogGBPerMonth      float64 // GB of flow-log records per log group
	KmsRequestsPerKeyMonth float64
	StateGB                float64 // state files with their versions
	StatePutsPerMonth      float64
	StateGetsPerMonth      float64
	AccessLogGBPerMonth    float64
	LockRequestsPerMonth   float64 // DynamoDB lock writes by Terraform/OpenTofu users
	ArchiveGBPerMonth      float64 // GB of Parquet objects a log archive stores a month (compressed; see DefaultAssumptions)
	ArchiveObjectsPerMonth float64 // objects it receives (one per source, ENI group and delivery interval)
}

// DefaultAssumptions describe a small platform team: a few workloads pulling packages and images through NAT. The
// archive stores what flow-log-gb of records (CloudWatch bills them uncompressed) becomes on S3: gzip-compressed
// text is about a tenth of it (an estimate for repetitive log lines, NOT CONFIRMED for flow logs), and Parquet about
// 20% less than gzip text (the VPC flow logs docs), so 5 GB of records store as about 0.4 GB.
var DefaultAssumptions = Assumptions{
	NatGBPerMonth: 100, FlowLogGBPerMonth: 5, KmsRequestsPerKeyMonth: 10000, StateGB: 1, StatePutsPerMonth: 20000,
	StateGetsPerMonth: 100000, AccessLogGBPerMonth: 1, LockRequestsPerMonth: 10000,
	ArchiveGBPerMonth: 0.4, ArchiveObjectsPerMonth: 9000,
}

// fields maps the -assume keys to the assumptions they set.
func (a *Assumptions) fields() map[string]*float64 {
	return map[string]*float64{
		"nat-gb": &a.NatGBPerMonth, "flow-log-gb": &a.FlowLogGBPerMonth, "kms-requests": &a.KmsRequestsPerKeyMonth,
		"state-gb": &a.StateGB, "state-puts": &a.StatePutsPerMonth, "state-gets": &a.StateGetsPerMonth,
		"access-log-gb": &a.AccessLogGBPerMonth, "lock-requests": &a.LockRequestsPerMonth,
		"archive-gb": &a.ArchiveGBPerMonth, "archive-objects": &a.ArchiveObjectsPerMonth,
	}
}

// AssumptionKeys lists the keys Set accepts.
func AssumptionKeys() []string {
	var a Assumptions
	var keys []string
	for k := range a.fields() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Set overrides assumptions from "key=value,key=value".
func (a *Assumptions) Set(spec string) error {
	if spec == "" {
		return nil
	}
	for _, kv := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		f, known := a.fields()[k]
		if !ok || !known {
			return fmt.Errorf("assumption %q: want key=value with key one of %v", kv, AssumptionKeys())
		}
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || n < 0 || math.IsInf(n, 0) || math.IsNaN(n) {
			return fmt.Errorf("assumption %q: %q is not a non-negative number", k, v)
		}
		*f = n
	}
	return nil
}

// LineKind says what a line of an estimate prices. It is the line's stable key: callers select lines by kind,
// never by their Item text, which is for people and may change.
type LineKind string

// Line kinds. Kinds marked "each" have one line per resource (log group, bucket, table); the others one line
// per stack.
const (
	NatGatewayHours   LineKind = "nat-gateway-hours"
	NatDataProcessing LineKind = "nat-data-processing"
	NatCrossAz        LineKind = "nat-cross-az" // private subnets in AZs without a NAT gateway of their own
	PublicIPv4        LineKind = "public-ipv4"
	GatewayEndpoints  LineKind = "gateway-endpoints"
	KmsKeys           LineKind = "kms-keys"
	KmsRequests       LineKind = "kms-requests"
	LogIngestion      LineKind = "log-ingestion"      // each log group
	LogStorage        LineKind = "log-storage"        // each log group
	AccessLogStorage  LineKind = "access-log-storage" // each bucket that receives server access logs
	StateStorage      LineKind = "state-storage"      // each other bucket
	StateRequests     LineKind = "state-requests"     // each other bucket
	DynamoDBRequests  LineKind = "dynamodb-requests"  // each table
	ArchiveDelivery   LineKind = "archive-delivery"   // each flow log into S3: vended delivery and Parquet conversion
	ArchiveInbox      LineKind = "archive-inbox"      // each bucket that replicates (the log archive's inbox)
	ArchiveVault      LineKind = "archive-vault"      // each Object Lock bucket: storage over the retention
	ArchiveRequests   LineKind = "archive-requests"   // each Object Lock bucket: replicas written and transitioned
	ArchiveAlerts     LineKind = "archive-alerts"     // the alarms and the replication rules' metrics
)

// Line is one item of the estimate. Kind is not written to JSON, so the inventory's JSON stays as it was.
type Line struct {
	Kind     LineKind `json:"-"`
	Item     string   `json:"item"`
	Quantity string   `json:"quantity"`
	Monthly  float64  `json:"monthlyUsd"`
}

// Estimate is a stack's monthly cost.
type Estimate struct {
	Region      string      `json:"region"`
	PricesAsOf  string      `json:"pricesAsOf"`
	Assumptions Assumptions `json:"assumptions"`
	Lines       []Line      `json:"lines"`
	Total       float64     `json:"totalMonthlyUsd"`
}

// Sum adds up the lines of the given kinds.
func (e Estimate) Sum(kinds ...LineKind) float64 {
	sum := 0.0
	for _, l := range e.Lines {
		if slices.Contains(kinds, l.Kind) {
			sum += l.Monthly
		}
	}
	return sum
}

// Monthly estimates the monthly cost of what r registered, in region.
func Monthly(r *mockrun.Result, region string, a Assumptions) (Estimate, error) {
	p, ok := PriceTable[region]
	if !ok {
		return Estimate{}, fmt.Errorf("no prices for region %q; the price table has %v", region, Regions())
	}
	e := Estimate{Region: region, PricesAsOf: PricesAsOf, Assumptions: a}
	add := func(kind LineKind, item, qty string, usd float64) {
		e.Lines = append(e.Lines, Line{Kind: kind, Item: item, Quantity: qty, Monthly: round(usd)})
		e.Total += round(usd)
	}
	count := func(typ string) float64 { return float64(len(r.OfType(typ))) }

	if n := count(mockrun.TypeNatGateway); n > 0 {
		add(NatGatewayHours, "NAT gateway hours", fmt.Sprintf("%g x %d h x $%g", n, HoursPerMonth, p.NatGatewayHour), n*HoursPerMonth*p.NatGatewayHour)
		add(NatDataProcessing, "NAT data processing", fmt.Sprintf("%g GB x $%g", a.NatGBPerMonth, p.NatGatewayGB), a.NatGBPerMonth*p.NatGatewayGB)
		// Private subnets spread evenly over the AZs; those of an AZ without a NAT gateway send their share of
		// the NAT traffic to another AZ, billed on both sides.
		if azs := count(mockrun.TypeSubnet) / 2; azs > n {
			crossing := a.NatGBPerMonth * (azs - n) / azs
			add(NatCrossAz, "Cross-AZ transfer to the NAT gateway", fmt.Sprintf("%.4g GB x $%g x 2 (each direction)", crossing, p.CrossAzGB),
				crossing*p.CrossAzGB*2)
		}
	}
	if n := count(mockrun.TypeEip); n > 0 {
		add(PublicIPv4, "Public IPv4 addresses (Elastic IPs)", fmt.Sprintf("%g x %d h x $%g", n, HoursPerMonth, p.PublicIPv4Hour), n*HoursPerMonth*p.PublicIPv4Hour)
	}
	if n := count(mockrun.TypeVpcEndpoint); n > 0 {
		add(GatewayEndpoints, "S3 gateway endpoints", fmt.Sprintf("%g (no hourly or per-GB charge)", n), 0)
	}
	if n := count(mockrun.TypeKmsKey); n > 0 {
		add(KmsKeys, "KMS customer-managed keys (rotated yearly)", fmt.Sprintf("%g x $%g x %d (the key and its first %d rotations: "+
			"$%g in year one, $%g in year two, this from year three)", n, p.KmsKeyMonth, 1+KmsBilledRotations, KmsBilledRotations,
			p.KmsKeyMonth, 2*p.KmsKeyMonth), n*p.KmsKeyMonth*(1+KmsBilledRotations))
		add(KmsRequests, "KMS requests", fmt.Sprintf("%g x %g requests x $%g/10k", n, a.KmsRequestsPerKeyMonth, p.KmsPer10kRequests),
			n*a.KmsRequestsPerKeyMonth/10000*p.KmsPer10kRequests)
	}
	for _, g := range r.OfType(mockrun.TypeLogGroup) {
		days, _ := g.Value("retentionInDays").(float64)
		add(LogIngestion, "CloudWatch Logs ingestion: "+g.Name, fmt.Sprintf("%g GB x $%g", a.FlowLogGBPerMonth, p.LogsIngestGB), a.FlowLogGBPerMonth*p.LogsIngestGB)
		stored := a.FlowLogGBPerMonth * days / 30.4
		add(LogStorage, "CloudWatch Logs storage: "+g.Name, fmt.Sprintf("%.0f GB kept (%g days) x $%g", stored, days, p.LogsStorageGBMonth), stored*p.LogsStorageGBMonth)
	}
	for _, f := range r.OfType(mockrun.TypeFlowLog) {
		if f.Str("logDestinationType") == "s3" {
			add(ArchiveDelivery, "Flow logs delivered to S3 as Parquet: "+f.Name, fmt.Sprintf("%g GB x ($%g delivery + $%g Parquet)",
				a.FlowLogGBPerMonth, p.VendedToS3GB, p.ParquetConversionGB), a.FlowLogGBPerMonth*(p.VendedToS3GB+p.ParquetConversionGB))
		}
	}
	for _, b := range r.OfType(mockrun.TypeBucket) {
		if retention, cold, ok := vaultDays(r, b); ok {
			// Once the archive is full (after its retention) it holds retention/30.4 months of deliveries: the
			// first `cold` days' in S3 Standard, the rest in Deep Archive, each object there with its overhead.
			// Objects under the lifecycle's minimum size never transition; the model goes by their average size.
			avgKB := a.ArchiveGBPerMonth * 1024 * 1024 / a.ArchiveObjectsPerMonth
			minKB := transitionMinimumKB(r, b)
			if avgKB < minKB {
				hot := a.ArchiveGBPerMonth * retention / 30.4
				add(ArchiveVault, "Archive vault storage, once full: "+b.Name, fmt.Sprintf("%.1f GB Standard ($%g): %g days kept; objects average "+
					"%.0f KB, under the %g KB transition minimum, so none moves to Deep Archive", hot, p.S3StorageGBMonth, retention, avgKB, minKB),
					hot*p.S3StorageGBMonth)
				add(ArchiveRequests, "Archive replicas: "+b.Name, fmt.Sprintf("%g objects x $%g/1k replicated", a.ArchiveObjectsPerMonth, p.S3PutPer1000),
					a.ArchiveObjectsPerMonth/1000*p.S3PutPer1000)
				continue
			}
			deepObjects := a.ArchiveObjectsPerMonth * (retention - cold) / 30.4
			hot := a.ArchiveGBPerMonth*cold/30.4 + deepObjects*DeepArchiveStandardOverheadKB/1024/1024
			deep := a.ArchiveGBPerMonth*(retention-cold)/30.4 + deepObjects*DeepArchiveOverheadKB/1024/1024
			add(ArchiveVault, "Archive vault storage, once full: "+b.Name, fmt.Sprintf("%.1f GB Standard ($%g) + %.1f GB Deep Archive ($%g), "+
				"%d+%d KB overhead per archived object included: %g days kept, cold after %g", hot, p.S3StorageGBMonth, deep, p.DeepArchiveGBMonth,
				DeepArchiveStandardOverheadKB, DeepArchiveOverheadKB, retention, cold), hot*p.S3StorageGBMonth+deep*p.DeepArchiveGBMonth)
			add(ArchiveRequests, "Archive replicas and transitions: "+b.Name, fmt.Sprintf("%g objects x ($%g/1k replicated + $%g/1k to Deep Archive)",
				a.ArchiveObjectsPerMonth, p.S3PutPer1000, p.DeepArchivePer1000), a.ArchiveObjectsPerMonth/1000*(p.S3PutPer1000+p.DeepArchivePer1000))
			continue
		}
		if len(buckets.Companions(r, mockrun.TypeBucketReplication, b.ID)) > 0 {
			days, noncurrent := bucketExpiryDays(r, b)
			stored := a.ArchiveGBPerMonth * (days + noncurrent) / 30.4
			add(ArchiveInbox, "Archive inbox storage and deliveries: "+b.Name, fmt.Sprintf("%.2g GB kept (%g days + %g noncurrent) x $%g + %g PUT x $%g/1k",
				stored, days, noncurrent, p.S3StorageGBMonth, a.ArchiveObjectsPerMonth, p.S3PutPer1000),
				stored*p.S3StorageGBMonth+a.ArchiveObjectsPerMonth/1000*p.S3PutPer1000)
			continue
		}
		if buckets.IsLogTarget(r, b.ID) {
			// A log is kept its expiry days, then (the bucket is versioned) as a noncurrent version for as long again.
			days, noncurrent := bucketExpiryDays(r, b)
			stored := a.AccessLogGBPerMonth * (days + noncurrent) / 30.4
			add(AccessLogStorage, "S3 access-log storage: "+b.Name, fmt.Sprintf("%.0f GB kept (%g days + %g noncurrent) x $%g", stored, days, noncurrent, p.S3StorageGBMonth), stored*p.S3StorageGBMonth)
			continue
		}
		add(StateStorage, "S3 state storage: "+b.Name, fmt.Sprintf("%g GB x $%g", a.StateGB, p.S3StorageGBMonth), a.StateGB*p.S3StorageGBMonth)
		add(StateRequests, "S3 state requests: "+b.Name, fmt.Sprintf("%g PUT x $%g/1k + %g GET x $%g/1k", a.StatePutsPerMonth, p.S3PutPer1000, a.StateGetsPerMonth, p.S3GetPer1000),
			a.StatePutsPerMonth/1000*p.S3PutPer1000+a.StateGetsPerMonth/1000*p.S3GetPer1000)
	}
	if alarms, rules := count(mockrun.TypeMetricAlarm), replicationRulesWithMetrics(r); alarms+rules > 0 {
		add(ArchiveAlerts, "CloudWatch alarms and S3 replication metrics", fmt.Sprintf("%g alarms x $%g + %g rules x %d metrics x $%g",
			alarms, p.AlarmMonth, rules, ReplicationMetricsPerRule, p.MetricMonth), alarms*p.AlarmMonth+rules*ReplicationMetricsPerRule*p.MetricMonth)
	}
	for _, t := range r.OfType(mockrun.TypeTable) {
		add(DynamoDBRequests, "DynamoDB on-demand: "+t.Name, fmt.Sprintf("%g writes x $%g/M (+ equal reads x $%g/M)", a.LockRequestsPerMonth, p.DynamoWritePerMillion, p.DynamoReadPerMillion),
			a.LockRequestsPerMonth/1e6*(p.DynamoWritePerMillion+p.DynamoReadPerMillion))
	}
	e.Total = round(e.Total)
	return e, nil
}

// vaultDays is an Object Lock bucket's default retention and the days after which its lifecycle moves objects to
// Deep Archive (ok false for a bucket without Object Lock configuration).
func vaultDays(r *mockrun.Result, b mockrun.Resource) (retention, cold float64, ok bool) {
	for _, l := range buckets.Companions(r, mockrun.TypeBucketObjectLock, b.ID) {
		rule, _ := l.Value("rule").(map[string]any)
		def, _ := rule["defaultRetention"].(map[string]any)
		retention, ok = def["days"].(float64)
	}
	if !ok {
		return 0, 0, false
	}
	cold = retention
	for _, l := range buckets.Companions(r, mockrun.TypeBucketLifecycle, b.ID) {
		rules, _ := l.Value("rules").([]any)
		for _, rule := range rules {
			m, _ := rule.(map[string]any)
			ts, _ := m["transitions"].([]any)
			for _, t := range ts {
				tm, _ := t.(map[string]any)
				if d, isNum := tm["days"].(float64); isNum && tm["storageClass"] == "DEEP_ARCHIVE" && d < cold {
					cold = d
				}
			}
		}
	}
	return retention, cold, true
}

// transitionMinimumKB is the size under which a bucket's lifecycle leaves objects where they are: its
// transitionDefaultMinimumObjectSize (all_storage_classes_128K: 128), or 0 when it sets none.
func transitionMinimumKB(r *mockrun.Result, b mockrun.Resource) float64 {
	for _, l := range buckets.Companions(r, mockrun.TypeBucketLifecycle, b.ID) {
		v := l.Str("transitionDefaultMinimumObjectSize")
		if i := strings.LastIndex(v, "_"); i >= 0 && strings.HasSuffix(v, "K") {
			if kb, err := strconv.ParseFloat(v[i+1:len(v)-1], 64); err == nil {
				return kb
			}
		}
	}
	return 0
}

// replicationRulesWithMetrics counts the enabled replication rules that publish metrics.
func replicationRulesWithMetrics(r *mockrun.Result) float64 {
	n := 0.0
	for _, c := range r.OfType(mockrun.TypeBucketReplication) {
		rules, _ := c.Value("rules").([]any)
		for _, rule := range rules {
			m, _ := rule.(map[string]any)
			dest, _ := m["destination"].(map[string]any)
			metrics, _ := dest["metrics"].(map[string]any)
			if m["status"] == "Enabled" && metrics["status"] == "Enabled" {
				n++
			}
		}
	}
	return n
}

// bucketExpiryDays is the expiration of a bucket's lifecycle and the noncurrent-version expiration (0 when none).
func bucketExpiryDays(r *mockrun.Result, b mockrun.Resource) (days, noncurrent float64) {
	for _, l := range buckets.Companions(r, mockrun.TypeBucketLifecycle, b.ID) {
		rules, _ := l.Value("rules").([]any)
		for _, rule := range rules {
			m, _ := rule.(map[string]any)
			if exp, ok := m["expiration"].(map[string]any); ok {
				if d, ok := exp["days"].(float64); ok {
					days = d
				}
			}
			if nc, ok := m["noncurrentVersionExpiration"].(map[string]any); ok {
				if d, ok := nc["noncurrentDays"].(float64); ok {
					noncurrent = d
				}
			}
		}
	}
	return days, noncurrent
}

func round(v float64) float64 { return math.Round(v*100) / 100 }

// Region returns the region a stack deploys to, from aws:region.
func Region(r *mockrun.Result) (string, error) {
	region := r.Config["aws:region"]
	if region == "" {
		return "", fmt.Errorf("stack %q sets no aws:region", r.Stack)
	}
	return region, nil
}

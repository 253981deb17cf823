package controls

import (
	"strings"

	"github.com/aws-foundation/aws-foundation/internal/buckets"
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
)

// Exception is an accepted deviation: a control (ours or an upstream one) this project knowingly does not meet
// somewhere, with the reason and what compensates.
type Exception struct {
	ID           string
	Control      string   // our control whose findings it accepts; "" for an upstream control we do not implement
	Upstream     []string // the upstream controls it deviates from
	Statement    string
	Reason       string
	Compensating string
	// Accepts says whether a finding of Control is covered (nil when Control is "").
	Accepts func(*mockrun.Result, Finding) bool
	// AppliesTo says whether the deviation exists in a stack.
	AppliesTo func(*mockrun.Result) bool
}

// Exceptions are every accepted deviation.
var Exceptions = []Exception{
	{ID: "EX-01", Control: "AF-S3-04", Upstream: []string{"FSBP S3.17", "CKV_AWS_145", "AVD-AWS-0132"},
		Statement:    "The access-log bucket uses SSE-S3, not a customer-managed KMS key.",
		Reason:       "S3 server access log delivery cannot write to a bucket whose default encryption is SSE-KMS.",
		Compensating: "Private (public access block, owner enforced), TLS-only, writable only by the S3 logging service for this account's state bucket; it holds request metadata, not state.",
		Accepts:      logTarget, AppliesTo: has(mockrun.TypeBucketLogging)},
	{ID: "EX-03", Control: "AF-S3-08", Upstream: []string{"FSBP S3.9", "CKV_AWS_18", "AVD-AWS-0089"},
		Statement:    "The access-log bucket does not log its own access.",
		Reason:       "Logging into itself records its own log writes forever; logging into a third bucket only moves the problem.",
		Compensating: "CloudTrail management events record configuration changes to it; data-event trails can be added per organisation.",
		Accepts:      logTarget, AppliesTo: has(mockrun.TypeBucketLogging)},
	{ID: "EX-04", Upstream: []string{"AVD-AWS-0105"},
		Statement:    "The network ACLs admit 0.0.0.0/0 on ephemeral TCP/UDP ports (1024 and above, 3389 excepted) and ICMP error messages; the public subnets' ACL also on the publicIngressPorts (TCP 443 and 80 by default).",
		Reason:       "Network ACLs are stateless: return traffic for connections opened through the NAT or internet gateway must be admitted, and an internet-facing load balancer in the public subnets needs its listener ports.",
		Compensating: "22 and 3389 are never admitted (AF-VPC-03); no rule uses protocol -1 (AF-VPC-05); private subnets have no route from the internet, and no ACL admits a port below 1024 but the configured publicIngressPorts (AF-VPC-06); the default security group denies everything (AF-VPC-02); flow logs record every packet decision (AF-VPC-01).",
		AppliesTo:    has(mockrun.TypeDefaultNetworkAcl)},
	{ID: "EX-05", Upstream: []string{"FSBP EC2.10"},
		Statement:    "No interface VPC endpoints (EC2, SSM, ECR, ...) are created; only the S3 gateway endpoint.",
		Reason:       "Each interface endpoint costs about $7.30 per AZ per month ($21.90 for three AZs) and the foundation runs no workloads yet.",
		Compensating: "AWS API calls from private subnets leave through NAT over TLS and are logged by flow logs; workload stacks add the endpoints they use.",
		AppliesTo:    has(mockrun.TypeVpc)},
	{ID: "EX-06", Upstream: []string{"FSBP S3.7", "CKV_AWS_144"},
		Statement:    "The state bucket is not replicated to another region.",
		Reason:       "Replication doubles storage and needs a second key and bucket per region; state is small and rebuildable by re-running the bootstrap stack.",
		Compensating: "Versioning with a 90-day history, protect + retainOnDelete, table deletion protection, and the restore runbook (docs/BOOTSTRAP.md).",
		AppliesTo:    has(mockrun.TypeTable)}, // the state backend's lock table: the log archive is not the state bucket
	{ID: "EX-07", Upstream: []string{"AWS Well-Architected REL10-BP01"},
		Statement:    "One NAT gateway serves every private subnet (natStrategy single, the prod stack's setting).",
		Reason:       "About $36.50/month (NAT hours $32.85 plus its Elastic IP $3.65) instead of $109.50 for three; accepted where an outage of the NAT gateway's AZ may cut private subnets' internet egress until the AZ recovers.",
		Compensating: "Each AZ keeps its own private route table, so switching to onePerAz is a one-line config change that only adds Elastic IPs and NAT gateways and repoints private default routes (TestSwitchingNatStrategyOnlyAddsNatResourcesAndRepointsPrivateRoutes); S3 traffic uses the gateway endpoint in every AZ; inbound and intra-VPC traffic are unaffected.",
		AppliesTo:    func(r *mockrun.Result) bool { return len(r.OfType(mockrun.TypeNatGateway)) == 1 }},
	{ID: "EX-08", Control: "AF-LOG-04", Upstream: []string{"PCI DSS 10.5.1", "SOC 2 CC7.2"},
		Statement:    "Where flowLogsDeleteWithStack is true (the dev stack), destroying the stack deletes its flow-log group, the key (after a 30-day waiting period) and the key's alias.",
		Reason:       "dev is torn down and rebuilt; retained evidence would have to be adopted or renamed at every rebuild (docs/RUNBOOK.md), and dev carries no production traffic.",
		Compensating: "prod and every stack that keeps the default retain them (AF-LOG-04); a destroy is an explicit, reviewed `pulumi destroy`; export dev's logs first where they matter.",
		Accepts:      func(r *mockrun.Result, _ Finding) bool { return optedOutOfRetention(r) },
		AppliesTo:    optedOutOfRetention},
	{ID: "EX-09", Control: "AF-S3-08", Upstream: []string{"FSBP S3.9", "CKV_AWS_18", "AVD-AWS-0089"},
		Statement:    "The log archive's inbox and Object Lock vault do not log server access.",
		Reason:       "S3 cannot deliver server access logs to an SSE-KMS bucket or to an Object Lock bucket, so neither archive bucket can take the other's logs; a third, SSE-S3 bucket would hold only request metadata about logs that are themselves the evidence.",
		Compensating: "Only log delivery (for the configured sources) and S3 Replication may write; every object in the vault is locked by its default retention; only the break-glass role may change policies, lifecycle, replication, versioning or Object Lock; CloudTrail management events record every such change.",
		Accepts:      archiveBucket, AppliesTo: has(mockrun.TypeBucketObjectLock)},
}

// archiveBucket accepts findings on the buckets of a log archive: a bucket with Object Lock, or one that
// replicates into such a bucket.
func archiveBucket(r *mockrun.Result, f Finding) bool {
	if f.Type != mockrun.TypeBucket {
		return false
	}
	locked := func(id string) bool { return len(buckets.Companions(r, mockrun.TypeBucketObjectLock, id)) > 0 }
	if locked(f.ID) {
		return true
	}
	for _, rep := range buckets.Companions(r, mockrun.TypeBucketReplication, f.ID) {
		for _, rule := range asList(rep.Value("rules")) {
			m, _ := rule.(map[string]any)
			dest, _ := m["destination"].(map[string]any)
			for _, b := range r.OfType(mockrun.TypeBucket) {
				if b.Out("arn") == asString(dest["bucket"]) && locked(b.ID) {
					return true
				}
			}
		}
	}
	return false
}

// optedOutOfRetention says whether the stack sets flowLogsDeleteWithStack to true.
func optedOutOfRetention(r *mockrun.Result) bool {
	for k, v := range r.Config {
		if strings.HasSuffix(k, ":flowLogsDeleteWithStack") && v == "true" {
			return true
		}
	}
	return false
}

// logTarget accepts findings on buckets that receive server access logs.
func logTarget(r *mockrun.Result, f Finding) bool {
	return f.Type == mockrun.TypeBucket && buckets.IsLogTarget(r, f.ID)
}

// has says whether a stack registers any resource of typ.
func has(typ string) func(*mockrun.Result) bool {
	return func(r *mockrun.Result) bool { return len(r.OfType(typ)) > 0 }
}

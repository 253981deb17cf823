package controls

// Regulation says, for a record-keeping rule, what the project does toward it and what the firm must still do.
// Each claim names its source; what no source we could read confirms is said to be unconfirmed.
type Regulation struct {
	Rule      string
	Meets     string
	NotMet    string // what the project does not do, or cannot do
	YouMustDo string
	Sources   string
}

// Regulations are the record-keeping rules the log archive is built toward, rendered in docs/COMPLIANCE.md.
var Regulations = []Regulation{
	{Rule: "SEC 17a-4(f) (electronic storage; as amended in 2022) and FINRA 4511(c), which defers to it",
		Meets: "With a logArchive stack in COMPLIANCE mode (the default) and flowLogsArchiveBucketArn set, every flow-log " +
			"object that reaches the vault is stored non-rewriteable and non-erasable until its retention date (2192 days, " +
			"6 years, by default): in compliance mode a locked object version \"can't be overwritten or deleted by any user, " +
			"including the root user\", its mode can't be changed and its retention can't be shortened. AWS states that " +
			"S3 Object Lock \"has been assessed by Cohasset Associates for use in environments that are subject to SEC " +
			"17a-4, CFTC, and FINRA regulations\".",
		NotMet: "The Cohasset report's conditions (its \"additional considerations\") were not read here and are not " +
			"claimed to be met. The CloudWatch log group is not WORM (whoever the account lets change it can shorten or " +
			"delete it), and neither is the inbox: a delivery is mutable there until S3 Replication copies it (asynchronous; " +
			"an alarm reports a failed replication within minutes, but only to whoever subscribes to the alerts topic), and is lost " +
			"about a week after a replication that failed and was not fixed (the inbox expires deliveries after 7 days). GOVERNANCE mode " +
			"(logArchiveGovernanceModeForTestAccountsOnly) can be bypassed and does not qualify. Whether VPC flow logs are " +
			"records the rule requires a firm to keep is the firm's determination, and so is whether records in Glacier Deep " +
			"Archive after 90 days are \"easily accessible\" for the first two years (17a-4(b)). Object Lock does not protect " +
			"against losing the key: the break-glass role can still schedule its deletion (with the full 30-day window, which " +
			"it cannot shorten, and an alert), which would make every record unreadable. Without the organization policy " +
			"docs/iam/scp-protect-log-archive.json, an administrator of the archive account can take over the break-glass role " +
			"and change the archive for the records to come (never erase or shorten a locked one); the alerts report it if " +
			"the account has a CloudTrail trail, but without the SCP the same administrator can silence them first, and an " +
			"email recipient not confirmed with AuthenticateOnUnsubscribe can be unsubscribed by anyone with the link; SNS " +
			"also suspends an email subscription that receives more than 10 messages a second, which a burst of refused calls " +
			"can cause, so subscribe a pager or queue endpoint besides.",
		YouMustDo: "Accept the AWS addendum for SEC Rule 17a-4 in AWS Artifact (AWS then files a letter of undertaking under 17a-4(i)(1)(ii)(A) for eligible customers); " +
			"arrange the designated third party or designated executive officer of 17a-4(f)(3)(v) yourself, since AWS " +
			"does not act as a designated third party; keep the records indexed, searchable and producible " +
			"(Athena over the Hive partitions is one way); subscribe people to the archive's alerts (logArchiveAlertEmails) " +
			"and keep a CloudTrail trail; attach docs/iam/scp-protect-log-archive.json; or choose the rule's " +
			"audit-trail alternative instead of WORM storage and meet its requirements.",
		Sources: "docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html; aws.amazon.com/compliance/secrule17a-4f; " +
			"docs/design/log-archive-research.md section 5"},
	{Rule: "Cost commitment of COMPLIANCE mode",
		Meets: "Not a regulation: a consequence. Every object version written to the vault is billed until its retention " +
			"date, and nobody, the root user included, can delete it before then; only closing the AWS account deletes it " +
			"(\"The only way to delete an object under the compliance mode before its retention date expires is to delete " +
			"the associated AWS account\").",
		NotMet:    "A retention set too long cannot be shortened for the objects already written; a shorter logArchiveRetentionDays applies only to new objects.",
		YouMustDo: "Choose logArchiveRetentionDays before the first delivery; try the archive first in a test account with GOVERNANCE mode.",
		Sources:   "docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-configure.html"},
}

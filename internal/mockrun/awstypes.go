package mockrun

// Type tokens of the AWS resources (pulumi-aws v6) that the controls, the cost model, the report and the tests
// look up in a recorded run. This is the one place they are written; they are AWS's and Pulumi's names, not this
// program's, so mockrun can hold them and still import nothing of the program.
const (
	// CloudWatch Logs.
	TypeLogGroup = "aws:cloudwatch/logGroup:LogGroup"

	// CloudWatch alarms and EventBridge (the cloudwatch module of pulumi-aws).
	TypeMetricAlarm = "aws:cloudwatch/metricAlarm:MetricAlarm"
	TypeEventRule   = "aws:cloudwatch/eventRule:EventRule"
	TypeEventTarget = "aws:cloudwatch/eventTarget:EventTarget"

	// SNS.
	TypeTopic             = "aws:sns/topic:Topic"
	TypeTopicPolicy       = "aws:sns/topicPolicy:TopicPolicy"
	TypeTopicSubscription = "aws:sns/topicSubscription:TopicSubscription"

	// DynamoDB.
	TypeTable = "aws:dynamodb/table:Table"

	// EC2 and VPC.
	TypeVpc                  = "aws:ec2/vpc:Vpc"
	TypeSubnet               = "aws:ec2/subnet:Subnet"
	TypeRouteTable           = "aws:ec2/routeTable:RouteTable"
	TypeRoute                = "aws:ec2/route:Route"
	TypeRouteTableAssoc      = "aws:ec2/routeTableAssociation:RouteTableAssociation"
	TypeInternetGateway      = "aws:ec2/internetGateway:InternetGateway"
	TypeNatGateway           = "aws:ec2/natGateway:NatGateway"
	TypeEip                  = "aws:ec2/eip:Eip"
	TypeVpcEndpoint          = "aws:ec2/vpcEndpoint:VpcEndpoint"
	TypeDefaultSecurityGroup = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
	TypeDefaultNetworkAcl    = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
	TypeNetworkAcl           = "aws:ec2/networkAcl:NetworkAcl"
	TypeFlowLog              = "aws:ec2/flowLog:FlowLog"

	// IAM.
	TypeRole       = "aws:iam/role:Role"
	TypeRolePolicy = "aws:iam/rolePolicy:RolePolicy"
	// TypeManagedPolicy is a customer-managed policy. The program creates none; the access tier still knows
	// which input of it holds a policy, so one added later cannot escape its checks.
	TypeManagedPolicy = "aws:iam/policy:Policy"

	// KMS.
	TypeKmsKey   = "aws:kms/key:Key"
	TypeKmsAlias = "aws:kms/alias:Alias"

	// S3: the bucket, and the resources that configure it by its id (see package buckets).
	TypeBucket            = "aws:s3/bucketV2:BucketV2"
	TypeBucketPolicy      = "aws:s3/bucketPolicy:BucketPolicy"
	TypePublicAccessBlock = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	TypeOwnership         = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
	TypeBucketEncryption  = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	TypeBucketVersioning  = "aws:s3/bucketVersioningV2:BucketVersioningV2"
	TypeBucketLifecycle   = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
	TypeBucketLogging     = "aws:s3/bucketLoggingV2:BucketLoggingV2"
	TypeBucketObjectLock  = "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2"
	TypeBucketReplication = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
)

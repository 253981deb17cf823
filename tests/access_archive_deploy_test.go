package tests

// What an environment's deploy role may do about the log archive: create its S3 flow log (CreateLogDelivery)
// only with the archiving policy attached, and never read, change or delete the archive's records or key.

import (
	"strings"
	"testing"
)

// archiveDeployScenarios are, for each deploy role, its reach into the log archive (in the same account here:
// the single-account set-up, the one where IAM alone could let it in).
func archiveDeployScenarios(t testing.TB) []scenario {
	t.Helper()
	w := logArchiveWorld(t)
	record := w.vault + "/AWSLogs/aws-account-id=" + accessAccount + "/aws-service=vpcflowlogs/f.log.parquet"
	delivery := w.inbox + "/AWSLogs/aws-account-id=" + accessAccount + "/aws-service=vpcflowlogs/f.log.parquet"
	var out []scenario
	for _, r := range ciRoles(t) {
		if len(r.Archiving) == 0 {
			continue
		}
		ctx := map[string]any{"aws:SecureTransport": "true"}
		s := func(name, action, on string, identity []string, resource string, want verdict) scenario {
			return scenario{name: r.Name + " " + name, who: r.arn(), action: action, on: on, identity: identity,
				resource: resource, ctx: ctx, want: want}
		}
		out = append(out,
			s("creates the log delivery of its archive flow log with the archiving policy", "logs:CreateLogDelivery", "*",
				r.archivingIDs(), "", allowed),
			s("cannot create a log delivery without the archiving policy", "logs:CreateLogDelivery", "*", r.identityIDs(), "", denied),
			s("cannot read the archive's records", "s3:GetObject", record, r.archivingIDs(), w.vaultPolicy, denied),
			s("cannot delete a delivery in the inbox", "s3:DeleteObject", delivery, r.archivingIDs(), w.inboxPolicy, denied),
			s("cannot decrypt with the archive's key", "kms:Decrypt", w.keyArn, r.archivingIDs(), w.key, denied),
		)
	}
	return out
}

func TestDeployRolesCreateTheArchiveFlowLogAndCannotReachTheArchive(t *testing.T) {
	t.Parallel()
	c := allPolicies(t)
	scenarios := archiveDeployScenarios(t)
	requireVerdicts(t, c, scenarios)

	var mutations []mutation
	everything := map[string]any{"Effect": "Allow", "Action": []any{"s3:*", "kms:*"}, "Resource": "*"}
	for _, r := range ciRoles(t) {
		if len(r.Archiving) == 0 {
			continue
		}
		names := func(suffixes ...string) []string {
			var out []string
			for _, s := range suffixes {
				out = append(out, r.Name+" "+s)
			}
			return out
		}
		mutations = append(mutations,
			mutation{name: r.Name + ": archiving policy without CreateLogDelivery", policy: "docs/" + strings.TrimSuffix(r.Archiving[0], ".json"),
				edit:      removeAction("CreateFlowLogsIntoS3", "logs:CreateLogDelivery"),
				scenarios: names("creates the log delivery of its archive flow log with the archiving policy")},
			mutation{name: r.Name + ": deploy permissions grant CreateLogDelivery", policy: r.permissionsID(),
				edit:      addStatement(map[string]any{"Effect": "Allow", "Action": "logs:CreateLogDelivery", "Resource": "*"}),
				scenarios: names("cannot create a log delivery without the archiving policy")},
			mutation{name: r.Name + ": deploy permissions reach every bucket and key", policy: r.permissionsID(),
				edit: addStatement(everything),
				scenarios: names("cannot read the archive's records", "cannot delete a delivery in the inbox",
					"cannot decrypt with the archive's key")},
		)
	}
	requireEveryScenarioIsCovered(t, scenarios, mutations, "aws-foundation-deploy-")
	requireMutationsTurnScenariosRed(t, c, scenarios, mutations)
	t.Logf("%d scenarios, %d mutations", len(scenarios), len(mutations))
}

package iam

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"time"
)

// catalogJSON is the built-in catalog of AWS managed policies: name, path,
// description, creation and edit times, default version and that version's
// document, as AWS's managed policy reference
// (docs.aws.amazon.com/aws-managed-policy/latest/reference/) publishes them.
// AWSLambda_FullAccess (v2) and AWSLambda_ReadOnlyAccess (v5) are the
// reference's documents verbatim; AWSLambdaSQSQueueExecutionRole's v1 (its
// only version, 2018-06-14 21:50 UTC) is IAM's own document, laid out as the
// reference lays out the others.
//
//go:embed catalog.json
var catalogJSON []byte

// awsAccount is the account part of an AWS managed policy's ARN.
const awsAccount = "aws"

type catalogEntry struct {
	Name        string    `json:"name"`
	Path        string    `json:"path"`
	Description string    `json:"description"`
	Create      time.Time `json:"create"`
	Update      time.Time `json:"update"`
	Version     string    `json:"version"`
	Document    string    `json:"document"`
}

// loadCatalog returns the AWS managed policies by ARN. Each has only its
// default version: the reference publishes no other.
func loadCatalog() (map[string]ManagedPolicy, error) {
	var entries []catalogEntry
	if err := json.Unmarshal(catalogJSON, &entries); err != nil {
		return nil, fmt.Errorf("iam: decode the managed policy catalog: %w", err)
	}
	out := make(map[string]ManagedPolicy, len(entries))
	for _, e := range entries {
		p := ManagedPolicy{
			Account:          awsAccount,
			Name:             e.Name,
			ID:               catalogPolicyID(e.Path + e.Name),
			Path:             e.Path,
			Description:      e.Description,
			CreateDate:       e.Create.UTC(),
			UpdateDate:       e.Update.UTC(),
			DefaultVersionID: e.Version,
			Versions:         []PolicyVersion{{ID: e.Version, Document: e.Document, CreateDate: e.Update.UTC()}},
		}
		if _, _, ok := splitPolicyARN(p.ARN()); !ok || versionNumber(e.Version) == 0 || identityPolicyProblem(e.Document) != "" {
			return nil, fmt.Errorf("iam: managed policy catalog: bad entry %s", p.ARN())
		}
		out[p.ARN()] = p
	}
	return out, nil
}

// catalogPolicyID is the PolicyId Reservoir gives an AWS managed policy:
// "ANPA" and 17 characters derived from its path and name. AWS's reference
// does not publish the real IDs; these are at least stable.
func catalogPolicyID(pathName string) string {
	sum := sha256.Sum256([]byte("aws-managed-policy:" + pathName))
	return "ANPA" + base32.StdEncoding.EncodeToString(sum[:])[:17]
}

package boltstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/reservoir-dev/reservoir/internal/iam"
)

// policyRecord is a customer managed policy on disk (schema version 5).
type policyRecord struct {
	Account          string                `json:"account"`
	Name             string                `json:"name"`
	ID               string                `json:"id,omitempty"`
	Path             string                `json:"path,omitempty"`
	Description      string                `json:"description,omitempty"`
	CreateDate       time.Time             `json:"create_date"`
	UpdateDate       time.Time             `json:"update_date"`
	DefaultVersionID string                `json:"default_version_id,omitempty"`
	Versions         []policyVersionRecord `json:"versions,omitempty"`
	NextVersion      int                   `json:"next_version,omitempty"`
	Tags             map[string]string     `json:"tags,omitempty"`
}

type policyVersionRecord struct {
	ID         string    `json:"id"`
	Document   string    `json:"document"`
	CreateDate time.Time `json:"create_date"`
}

func policyToRecord(p iam.ManagedPolicy) policyRecord {
	rec := policyRecord{
		Account:          p.Account,
		Name:             p.Name,
		ID:               p.ID,
		Path:             p.Path,
		Description:      p.Description,
		CreateDate:       utc(p.CreateDate),
		UpdateDate:       utc(p.UpdateDate),
		DefaultVersionID: p.DefaultVersionID,
		NextVersion:      p.NextVersion,
		Tags:             cloneMap(p.Tags),
	}
	for _, v := range p.Versions {
		rec.Versions = append(rec.Versions, policyVersionRecord{ID: v.ID, Document: v.Document, CreateDate: utc(v.CreateDate)})
	}
	return rec
}

func (rec policyRecord) toDomain() iam.ManagedPolicy {
	p := iam.ManagedPolicy{
		Account:          rec.Account,
		Name:             rec.Name,
		ID:               rec.ID,
		Path:             rec.Path,
		Description:      rec.Description,
		CreateDate:       rec.CreateDate,
		UpdateDate:       rec.UpdateDate,
		DefaultVersionID: rec.DefaultVersionID,
		NextVersion:      rec.NextVersion,
		Tags:             rec.Tags,
	}
	for _, v := range rec.Versions {
		p.Versions = append(p.Versions, iam.PolicyVersion{ID: v.ID, Document: v.Document, CreateDate: v.CreateDate})
	}
	return p
}

// LoadPolicies returns every stored customer managed policy, ordered by
// account and name.
func (s *Store) LoadPolicies(ctx context.Context) ([]iam.ManagedPolicy, error) {
	return loadAll(s, ctx, bucketPolicies, "policy",
		func(r policyRecord) ([]byte, error) { return makeKey(r.Account, r.Name) }, policyRecord.toDomain)
}

// SavePolicy stores p, replacing any policy with the same account and name.
func (s *Store) SavePolicy(ctx context.Context, p iam.ManagedPolicy) error {
	key, err := makeKey(p.Account, p.Name)
	if err != nil {
		return fmt.Errorf("save policy %q in account %q: %w", p.Name, p.Account, err)
	}
	value, err := json.Marshal(policyToRecord(p))
	if err != nil {
		return fmt.Errorf("save policy %s: encode: %w", key, err)
	}
	if err := s.put(ctx, bucketPolicies, key, value); err != nil {
		return fmt.Errorf("save policy %s: %w", key, err)
	}
	return nil
}

// DeletePolicy removes a policy; deleting a missing one is not an error.
func (s *Store) DeletePolicy(ctx context.Context, account, name string) error {
	key, err := makeKey(account, name)
	if err != nil {
		return fmt.Errorf("delete policy %q in account %q: %w", name, account, err)
	}
	if err := s.remove(ctx, bucketPolicies, key); err != nil {
		return fmt.Errorf("delete policy %s: %w", key, err)
	}
	return nil
}

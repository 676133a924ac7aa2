package boltstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// layerRecord is a layer with all its versions (schema version 8).
type layerRecord struct {
	Account     string               `json:"account"`
	Region      string               `json:"region"`
	Name        string               `json:"name"`
	LastVersion int                  `json:"last_version"`
	Versions    []layerVersionRecord `json:"versions,omitempty"`
}

type layerVersionRecord struct {
	Version                 int                    `json:"version"`
	Description             string                 `json:"description,omitempty"`
	LicenseInfo             string                 `json:"license_info,omitempty"`
	CompatibleRuntimes      []string               `json:"compatible_runtimes,omitempty"`
	CompatibleArchitectures []string               `json:"compatible_architectures,omitempty"`
	CodeSha256              string                 `json:"code_sha256"`
	CodeSize                int64                  `json:"code_size"`
	CreatedDate             time.Time              `json:"created_date"`
	Policy                  []layerStatementRecord `json:"policy,omitempty"`
	PolicyRevision          string                 `json:"policy_revision,omitempty"`
}

type layerStatementRecord struct {
	Sid            string `json:"sid"`
	Action         string `json:"action"`
	Principal      string `json:"principal"`
	OrganizationID string `json:"organization_id,omitempty"`
}

// LoadLayers returns every stored layer, ordered by account, region and name.
func (s *Store) LoadLayers(ctx context.Context) ([]*lambda.Layer, error) {
	return loadAll(s, ctx, bucketLayers, "layer",
		func(r layerRecord) ([]byte, error) { return makeKey(r.Account, r.Region, r.Name) }, layerRecord.toDomain)
}

// SaveLayer stores l, replacing any layer with the same scope and name.
func (s *Store) SaveLayer(ctx context.Context, l *lambda.Layer) error {
	if l == nil {
		return errors.New("save layer: nil layer")
	}
	key, err := makeKey(l.Scope.Account, l.Scope.Region, l.Name)
	if err != nil {
		return fmt.Errorf("save layer %s: %w", l.Scope.LayerARN(l.Name), err)
	}
	value, err := json.Marshal(layerToRecord(l))
	if err != nil {
		return fmt.Errorf("save layer %s: encode: %w", key, err)
	}
	if err := s.put(ctx, bucketLayers, key, value); err != nil {
		return fmt.Errorf("save layer %s: %w", key, err)
	}
	return nil
}

func layerToRecord(l *lambda.Layer) layerRecord {
	rec := layerRecord{Account: l.Scope.Account, Region: l.Scope.Region, Name: l.Name, LastVersion: l.LastVersion}
	for _, v := range l.Versions {
		vr := layerVersionRecord{
			Version: v.Version, Description: v.Description, LicenseInfo: v.LicenseInfo,
			CompatibleRuntimes: v.CompatibleRuntimes, CompatibleArchitectures: v.CompatibleArchitectures,
			CodeSha256: v.CodeSha256, CodeSize: v.CodeSize, CreatedDate: v.CreatedDate.UTC(),
			PolicyRevision: v.PolicyRevision,
		}
		for _, st := range v.Policy {
			vr.Policy = append(vr.Policy, layerStatementRecord{Sid: st.Sid, Action: st.Action, Principal: st.Principal, OrganizationID: st.OrganizationID})
		}
		rec.Versions = append(rec.Versions, vr)
	}
	return rec
}

func (rec layerRecord) toDomain() *lambda.Layer {
	l := &lambda.Layer{Scope: lambda.Scope{Account: rec.Account, Region: rec.Region}, Name: rec.Name, LastVersion: rec.LastVersion}
	for _, vr := range rec.Versions {
		v := lambda.LayerVersion{
			Version: vr.Version, Description: vr.Description, LicenseInfo: vr.LicenseInfo,
			CompatibleRuntimes: vr.CompatibleRuntimes, CompatibleArchitectures: vr.CompatibleArchitectures,
			CodeSha256: vr.CodeSha256, CodeSize: vr.CodeSize, CreatedDate: vr.CreatedDate,
			PolicyRevision: vr.PolicyRevision,
		}
		for _, st := range vr.Policy {
			v.Policy = append(v.Policy, lambda.LayerStatement{Sid: st.Sid, Action: st.Action, Principal: st.Principal, OrganizationID: st.OrganizationID})
		}
		l.Versions = append(l.Versions, v)
	}
	return l
}

package lambda

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
)

// LayerRef is one layer of a function's configuration: the layer version
// it was given, fixed when the configuration was written (a published
// version keeps the layer versions it was published with).
type LayerRef struct {
	Arn        string // the layer version ARN
	CodeSha256 string // the layer version's zip
	CodeSize   int64
}

// resolveLayers checks a function's Layers member as AWS does and returns
// the layers it names, in order. codeSize is the function's own unzipped
// size, counted with the layers' in the 250 MB limit. nil arns (the member
// was not sent) resolve to nil.
func (s *Service) resolveLayers(ctx context.Context, sc Scope, arns []string, codeSize int64) ([]LayerRef, error) {
	if len(arns) == 0 {
		return nil, nil
	}
	if len(arns) > MaxFunctionLayers {
		return nil, newErr(KindInvalidParameterValue, msgTooManyLayers)
	}
	out := make([]LayerRef, 0, len(arns))
	seen := map[string]string{} // layer ARN → the version ARN naming it
	for _, arn := range arns {
		owner, name, version, ok := ParseLayerVersionARN(arn)
		if !ok && functionLayerRE.MatchString(arn) { // an AWS-owned layer: none here
			return nil, newErr(KindInvalidParameterValue, "Layer version %s does not exist.", arn)
		}
		if !ok || !functionLayerRE.MatchString(arn) {
			var v Validation
			v.Add(Quote("["+arn+"]"), "layers", "Member must satisfy constraint: [Member must have length less than or equal to 2048, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: "+functionLayersPattern+", Member must not be null]")
			return nil, v.Err()
		}
		var lv LayerVersion
		if owner.Account == sc.Account {
			if owner.Region != sc.Region {
				return nil, newErr(KindInvalidParameterValue, "Layers are not in the same region as the function. Layers are expected to be in region %s.", sc.Region)
			}
			var err error
			if _, lv, err = s.findLayerVersion(owner, name, version); err != nil {
				return nil, newErr(KindInvalidParameterValue, "Layer version %s does not exist.", arn)
			}
		} else {
			// Another account's layer: only one its policy shares with this
			// account, in the function's region.
			_, found, err := s.findLayerVersion(owner, name, version)
			if owner.Region != sc.Region || err != nil || !found.grants(sc.Account) {
				return nil, errLayerAccessDenied(sc, arn)
			}
			lv = found
		}
		layerARN := arn[:strings.LastIndex(arn, ":")]
		if first, dup := seen[layerARN]; dup {
			return nil, newErr(KindInvalidParameterValue, "Two different versions of the same layer are not allowed to be referenced in the same function. %s and %s are versions of the same layer.", first, arn)
		}
		seen[layerARN] = arn
		out = append(out, LayerRef{Arn: arn, CodeSha256: lv.CodeSha256, CodeSize: lv.CodeSize})
	}
	if err := s.checkLayersSize(ctx, out, codeSize); err != nil {
		return nil, err
	}
	return out, nil
}

// pinLayers keeps the zips of layers from being collected until unpin is
// called (after the configuration naming them is published), then checks
// again that each layer version still exists: one deleted since
// resolveLayers saw it may have lost its zip before the pin.
func (s *Service) pinLayers(ctx context.Context, layers []LayerRef) (unpin func(), err error) {
	var unpins []func()
	unpin = func() {
		for _, u := range unpins {
			u()
		}
	}
	for _, l := range layers {
		u, err := s.pinCode(ctx, l.CodeSha256)
		if err != nil {
			unpin()
			return nil, err
		}
		unpins = append(unpins, u)
	}
	for _, l := range layers {
		owner, name, version, _ := ParseLayerVersionARN(l.Arn)
		if _, _, err := s.findLayerVersion(owner, name, version); err != nil {
			unpin()
			return nil, newErr(KindInvalidParameterValue, "Layer version %s does not exist.", l.Arn)
		}
	}
	return unpin, nil
}

// checkLayersSize refuses a function whose code and layers unzip to more
// than the 250 MB limit, in AWS's words.
func (s *Service) checkLayersSize(ctx context.Context, layers []LayerRef, codeSize int64) error {
	total := codeSize
	for _, l := range layers {
		n, err := s.storedUnzippedSize(ctx, l.CodeSha256)
		if err != nil {
			return err
		}
		total += n
	}
	if total > MaxUnzippedSize {
		return newErr(KindInvalidParameterValue, "Function code combined with layers exceeds the maximum allowed size of %d bytes. The actual size is %d bytes.", MaxUnzippedSize, total)
	}
	return nil
}

// unzippedSize is the sum of the sizes a zip's entries declare (0 for
// what is not a zip: the package checks refuse it).
func unzippedSize(b []byte) int64 {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return 0
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
	}
	return int64(min(total, 1<<62))
}

// storedUnzippedSize is unzippedSize of a stored package.
func (s *Service) storedUnzippedSize(ctx context.Context, digest string) (int64, error) {
	b, err := s.store.Code(ctx, digest)
	if errors.Is(err, ErrCodeNotFound) {
		return 0, nil // nothing to count: the package went with its last user
	}
	if err != nil {
		return 0, fmt.Errorf("read package %s: %w", digest, err)
	}
	return unzippedSize(b), nil
}

package lambda

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"slices"
	"strings"
)

// The settings below are accepted, stored and shown back as AWS shows
// them, and change nothing in how Reservoir runs a function: there is no
// VPC, no dead-letter delivery, no SnapStart snapshot, no EFS mount, no KMS
// encryption and no runtime update here (README's Not supported section).

// VpcConfig is a configuration's VpcConfig.
type VpcConfig struct {
	SubnetIDs, SecurityGroupIDs []string
	IPv6DualStack               bool
}

// VpcID is the VpcId shown for the configuration: Reservoir has no VPCs,
// so it makes one up from the subnets, the same for the same subnets
// ("" without subnets, as AWS shows a removed VPC configuration).
func (v VpcConfig) VpcID() string {
	if len(v.SubnetIDs) == 0 {
		return ""
	}
	ids := slices.Clone(v.SubnetIDs)
	slices.Sort(ids)
	sum := sha256.Sum256([]byte(strings.Join(ids, ",")))
	return "vpc-" + hex.EncodeToString(sum[:])[:17]
}

// FileSystem is one of FileSystemConfigs.
type FileSystem struct {
	Arn, LocalMountPath string
}

// SettingsInput carries the settings members of CreateFunction and
// UpdateFunctionConfiguration; nil members were not sent.
type SettingsInput struct {
	Vpc              *VpcConfig
	DeadLetterTarget *string
	SnapStartApplyOn *string
	FileSystems      []FileSystem // nil: not sent
	KMSKeyArn        *string
}

// Patterns of the Lambda model.
const (
	anyARNPattern         = `(arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()`
	fileSystemARNPattern  = `arn:aws[a-zA-Z-]*:elasticfilesystem:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:\d{12}:access-point/fsap-[a-f0-9]{17}$|^arn:aws[-a-z]*:s3files:[0-9a-z-:]+:file-system/fs-[0-9a-f]{17,40}/access-point/fsap-[0-9a-f]{17,40}`
	localMountPathPattern = `/mnt/[a-zA-Z0-9-_.]+`
)

var (
	anyARNRE         = regexp.MustCompile(`^(?:` + anyARNPattern + `)$`)
	fileSystemARNRE  = regexp.MustCompile(`^(?:` + fileSystemARNPattern + `)$`)
	localMountPathRE = regexp.MustCompile(`^(?:` + localMountPathPattern + `)$`)
)

// validateSettings checks the settings members against the model.
func validateSettings(in *SettingsInput, v *Validation) {
	if vpc := in.Vpc; vpc != nil {
		if len(vpc.SubnetIDs) > 16 {
			v.Add(Quote("["+strings.Join(vpc.SubnetIDs, ", ")+"]"), "vpcConfig.subnetIds", "Member must have length less than or equal to 16")
		}
		if len(vpc.SecurityGroupIDs) > 5 {
			v.Add(Quote("["+strings.Join(vpc.SecurityGroupIDs, ", ")+"]"), "vpcConfig.securityGroupIds", "Member must have length less than or equal to 5")
		}
	}
	if t := in.DeadLetterTarget; t != nil && !anyARNRE.MatchString(*t) {
		v.Add(Quote(*t), "deadLetterConfig.targetArn", "Member must satisfy regular expression pattern: "+anyARNPattern)
	}
	if k := in.KMSKeyArn; k != nil && !anyARNRE.MatchString(*k) {
		v.Add(Quote(*k), "kMSKeyArn", "Member must satisfy regular expression pattern: "+anyARNPattern)
	}
	if a := in.SnapStartApplyOn; a != nil && *a != "PublishedVersions" && *a != "None" {
		v.Add(Quote(*a), "snapStart.applyOn", "Member must satisfy enum value set: [PublishedVersions, None]")
	}
	if len(in.FileSystems) > 1 {
		v.Add(Quote(in.FileSystems), "fileSystemConfigs", "Member must have length less than or equal to 1")
	}
	for _, fs := range in.FileSystems {
		if !fileSystemARNRE.MatchString(fs.Arn) {
			v.Add(Quote(fs.Arn), "fileSystemConfigs.member.arn", "Member must satisfy regular expression pattern: "+fileSystemARNPattern)
		}
		if !localMountPathRE.MatchString(fs.LocalMountPath) {
			v.Add(Quote(fs.LocalMountPath), "fileSystemConfigs.member.localMountPath", "Member must satisfy regular expression pattern: "+localMountPathPattern)
		}
	}
}

// snapStartRuntimes are the runtimes SnapStart supports (AWS's list:
// Java 11 and later, Python 3.12 and later, .NET 8 and later).
func snapStartSupported(runtime string) bool {
	switch runtime {
	case "java11", "java17", "java21", "java25", "python3.12", "python3.13", "python3.14", "dotnet8", "dotnet10":
		return true
	}
	return false
}

// applySettings sets the members sent on c. The VPC, dead-letter target and
// KMS key are cleared by an empty value, as on AWS.
func applySettings(c *Config, in *SettingsInput) error {
	if in.Vpc != nil {
		vpc := VpcConfig{SubnetIDs: slices.Clone(in.Vpc.SubnetIDs), SecurityGroupIDs: slices.Clone(in.Vpc.SecurityGroupIDs), IPv6DualStack: in.Vpc.IPv6DualStack}
		c.Vpc = &vpc // empty lists: shown empty, as AWS shows a removed VPC configuration
	}
	setIf(&c.DeadLetterTarget, in.DeadLetterTarget)
	setIf(&c.KMSKeyArn, in.KMSKeyArn)
	if in.FileSystems != nil {
		c.FileSystems = slices.Clone(in.FileSystems)
		if len(c.FileSystems) == 0 {
			c.FileSystems = nil
		}
	}
	if in.SnapStartApplyOn != nil {
		c.SnapStartApplyOn = *in.SnapStartApplyOn
		if c.SnapStartApplyOn == "None" {
			c.SnapStartApplyOn = ""
		}
	}
	if c.SnapStartApplyOn != "" && !snapStartSupported(c.Runtime) {
		return newErr(KindInvalidParameterValue, "%s is not supported for SnapStart enabled functions.", c.Runtime)
	}
	return nil
}

func (c Config) sameSettings(o Config) bool {
	return slices.Equal(c.FileSystems, o.FileSystems) && c.DeadLetterTarget == o.DeadLetterTarget &&
		c.KMSKeyArn == o.KMSKeyArn && c.SnapStartApplyOn == o.SnapStartApplyOn &&
		(c.Vpc == nil) == (o.Vpc == nil) && (c.Vpc == nil || (slices.Equal(c.Vpc.SubnetIDs, o.Vpc.SubnetIDs) &&
		slices.Equal(c.Vpc.SecurityGroupIDs, o.Vpc.SecurityGroupIDs) && c.Vpc.IPv6DualStack == o.Vpc.IPv6DualStack))
}

// RuntimeManagement is a version's runtime management configuration.
type RuntimeManagement struct {
	FunctionARN       string // qualified as asked
	UpdateRuntimeOn   string // Auto, Manual or FunctionUpdate
	RuntimeVersionArn string // Manual only
}

const runtimeVersionARNPattern = `arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}::runtime:.+`

var runtimeVersionARNRE = regexp.MustCompile(`^(?:` + runtimeVersionARNPattern + `)$`)

// runtimeManagementOf renders a configuration's runtime management.
func runtimeManagementOf(fn *Function, c Config, qualifier string) RuntimeManagement {
	arn := fn.Scope.FunctionARN(fn.Name)
	if qualifier == "" {
		qualifier = c.Version
	}
	arn += ":" + qualifier
	on := c.RuntimeUpdateOn
	if on == "" {
		on = "Auto"
	}
	return RuntimeManagement{FunctionARN: arn, UpdateRuntimeOn: on, RuntimeVersionArn: c.RuntimeVersionArn}
}

// GetRuntimeManagementConfig returns a version's runtime management
// configuration ($LATEST without a qualifier).
func (s *Service) GetRuntimeManagementConfig(ctx context.Context, sc Scope, name, qualifier string) (RuntimeManagement, error) {
	view, err := s.GetFunction(ctx, sc, name, qualifier)
	if err != nil {
		return RuntimeManagement{}, err
	}
	q := view.Qualifier
	if q == "" {
		q = LatestVersion
	}
	rm := runtimeManagementOf(view.Function, view.Config, q)
	if view.Qualifier == "" {
		rm.FunctionARN = view.Function.Scope.FunctionARN(view.Function.Name)
	}
	return rm, nil
}

// PutRuntimeManagementConfig stores a version's runtime management
// configuration: $LATEST's, or a published version's (the one setting a
// published version takes after it is published). Reservoir runs the
// machine's interpreters whatever it says.
func (s *Service) PutRuntimeManagementConfig(ctx context.Context, sc Scope, name, qualifier, updateOn, versionARN string) (RuntimeManagement, error) {
	var v Validation
	v.Required(updateOn != "", "updateRuntimeOn")
	if updateOn != "" && updateOn != "Auto" && updateOn != "Manual" && updateOn != "FunctionUpdate" {
		v.Add(Quote(updateOn), "updateRuntimeOn", "Member must satisfy enum value set: [Auto, Manual, FunctionUpdate]")
	}
	if versionARN != "" && !runtimeVersionARNRE.MatchString(versionARN) {
		v.Add(Quote(versionARN), "runtimeVersionArn", "Member must satisfy regular expression pattern: "+runtimeVersionARNPattern)
	}
	if err := v.Err(); err != nil {
		return RuntimeManagement{}, err
	}
	switch {
	case updateOn == "Manual" && versionARN == "":
		return RuntimeManagement{}, newErr(KindInvalidParameterValue, "RuntimeVersionArn must be provided when UpdateRuntimeOn is Manual.")
	case updateOn != "Manual" && versionARN != "":
		return RuntimeManagement{}, newErr(KindInvalidParameterValue, "RuntimeVersionArn can only be provided when UpdateRuntimeOn is Manual.")
	}
	ref, err := s.resolve(sc, name, qualifier, nameRead)
	if err != nil {
		return RuntimeManagement{}, err
	}
	q := ref.Qualifier
	if q == "" {
		q = LatestVersion
	}
	notFound := func() error { return errFunctionNotFound(sc.FunctionARN(ref.Name) + ":" + q) }
	var out RuntimeManagement
	_, err = s.mutate(ctx, sc, ref.Name, notFound, func(fn *Function) (func(), func(*held), error) {
		var c *Config
		if q == LatestVersion {
			c = &fn.Latest
		} else {
			for i := range fn.Versions {
				if fn.Versions[i].Version == q {
					c = &fn.Versions[i]
				}
			}
		}
		if c == nil {
			return nil, nil, notFound()
		}
		c.RuntimeUpdateOn, c.RuntimeVersionArn = updateOn, versionARN
		if updateOn == "Auto" {
			c.RuntimeUpdateOn = ""
		}
		out = runtimeManagementOf(fn, *c, q)
		return nil, nil, nil
	})
	return out, err
}

// GetFunctionRecursionConfig returns the function's RecursiveLoop.
func (s *Service) GetFunctionRecursionConfig(ctx context.Context, sc Scope, name string) (string, error) {
	view, err := s.GetFunction(ctx, sc, name, "")
	if err != nil {
		return "", err
	}
	if view.Function.RecursiveLoop == "" {
		return "Terminate", nil
	}
	return view.Function.RecursiveLoop, nil
}

// PutFunctionRecursionConfig stores the function's RecursiveLoop. Nothing
// here detects loops: it is stored and answered.
func (s *Service) PutFunctionRecursionConfig(ctx context.Context, sc Scope, name, loop string) (string, error) {
	var v Validation
	v.Required(loop != "", "recursiveLoop")
	if loop != "" && loop != "Allow" && loop != "Terminate" {
		v.Add(Quote(loop), "recursiveLoop", "Member must satisfy enum value set: [Allow, Terminate]")
	}
	if err := v.Err(); err != nil {
		return "", err
	}
	ref, err := s.unqualified(sc, name)
	if err != nil {
		return "", err
	}
	_, err = s.mutate(ctx, sc, ref.Name, func() error { return errFunctionNotFound(sc.FunctionARN(ref.Name)) },
		func(fn *Function) (func(), func(*held), error) {
			fn.RecursiveLoop = loop
			if loop == "Terminate" {
				fn.RecursiveLoop = ""
			}
			return nil, nil, nil
		})
	return loop, err
}

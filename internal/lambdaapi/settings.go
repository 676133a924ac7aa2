package lambdaapi

import (
	"net/http"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// settingsIn are the members of CreateFunction and
// UpdateFunctionConfiguration that Reservoir stores and shows without
// acting on them.
type settingsIn struct {
	VpcConfig *struct {
		SubnetIDs               []string `json:"SubnetIds"`
		SecurityGroupIDs        []string `json:"SecurityGroupIds"`
		Ipv6AllowedForDualStack *bool    `json:"Ipv6AllowedForDualStack"`
	} `json:"VpcConfig"`
	DeadLetterConfig *struct {
		TargetArn *string `json:"TargetArn"`
	} `json:"DeadLetterConfig"`
	SnapStart *struct {
		ApplyOn *string `json:"ApplyOn"`
	} `json:"SnapStart"`
	FileSystemConfigs []struct {
		Arn            string `json:"Arn"`
		LocalMountPath string `json:"LocalMountPath"`
	} `json:"FileSystemConfigs"`
	KMSKeyArn *string `json:"KMSKeyArn"`
}

func (s settingsIn) domain() lambda.SettingsInput {
	var out lambda.SettingsInput
	if v := s.VpcConfig; v != nil {
		out.Vpc = &lambda.VpcConfig{SubnetIDs: v.SubnetIDs, SecurityGroupIDs: v.SecurityGroupIDs, IPv6DualStack: v.Ipv6AllowedForDualStack != nil && *v.Ipv6AllowedForDualStack}
	}
	if d := s.DeadLetterConfig; d != nil {
		t := ""
		if d.TargetArn != nil {
			t = *d.TargetArn
		}
		out.DeadLetterTarget = &t
	}
	if s.SnapStart != nil {
		on := "None"
		if s.SnapStart.ApplyOn != nil {
			on = *s.SnapStart.ApplyOn
		}
		out.SnapStartApplyOn = &on
	}
	if s.FileSystemConfigs != nil {
		out.FileSystems = []lambda.FileSystem{}
		for _, f := range s.FileSystemConfigs {
			out.FileSystems = append(out.FileSystems, lambda.FileSystem{Arn: f.Arn, LocalMountPath: f.LocalMountPath})
		}
	}
	out.KMSKeyArn = s.KMSKeyArn
	return out
}

type vpcConfigOut struct {
	SubnetIDs               []string `json:"SubnetIds"`
	SecurityGroupIDs        []string `json:"SecurityGroupIds"`
	VpcID                   string   `json:"VpcId"`
	Ipv6AllowedForDualStack bool     `json:"Ipv6AllowedForDualStack"`
}

type deadLetterOut struct {
	TargetArn string `json:"TargetArn"`
}

type fileSystemOut struct {
	Arn            string `json:"Arn"`
	LocalMountPath string `json:"LocalMountPath"`
}

// settingsOut are those settings as AWS shows them: each only when set
// (a VPC configuration once given, even emptied, as AWS does).
type settingsOut struct {
	VpcConfig         *vpcConfigOut   `json:"VpcConfig,omitempty"`
	DeadLetterConfig  *deadLetterOut  `json:"DeadLetterConfig,omitempty"`
	FileSystemConfigs []fileSystemOut `json:"FileSystemConfigs,omitempty"`
	KMSKeyArn         string          `json:"KMSKeyArn,omitempty"`
}

func toSettings(c lambda.Config) settingsOut {
	var out settingsOut
	if v := c.Vpc; v != nil {
		out.VpcConfig = &vpcConfigOut{SubnetIDs: nonNil(v.SubnetIDs), SecurityGroupIDs: nonNil(v.SecurityGroupIDs), VpcID: v.VpcID(), Ipv6AllowedForDualStack: v.IPv6DualStack}
	}
	if c.DeadLetterTarget != "" {
		out.DeadLetterConfig = &deadLetterOut{TargetArn: c.DeadLetterTarget}
	}
	for _, f := range c.FileSystems {
		out.FileSystemConfigs = append(out.FileSystemConfigs, fileSystemOut{Arn: f.Arn, LocalMountPath: f.LocalMountPath})
	}
	out.KMSKeyArn = c.KMSKeyArn
	return out
}

// toSnapStart is SnapStartResponse: optimization is On for a published
// version of a function with ApplyOn PublishedVersions, Off for $LATEST.
func toSnapStart(c lambda.Config) snapStartOut {
	if c.SnapStartApplyOn == "" {
		return snapStartOut{ApplyOn: "None", OptimizationStatus: "Off"}
	}
	status := "Off"
	if c.Version != lambda.LatestVersion {
		status = "On"
	}
	return snapStartOut{ApplyOn: c.SnapStartApplyOn, OptimizationStatus: status}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// settingsRoutes are the writes of the runtime management and recursion
// configurations (their reads are in routes()).
func (a *API) settingsRoutes() []route {
	return []route{
		{"PUT /2021-07-20/functions/{FunctionName}/runtime-management-config", "PutRuntimeManagementConfig", a.putRuntimeManagementConfig},
		{"PUT /2024-08-31/functions/{FunctionName}/recursion-config", "PutFunctionRecursionConfig", a.putRecursionConfig},
	}
}

type runtimeManagementOut struct {
	UpdateRuntimeOn   string `json:"UpdateRuntimeOn"`
	FunctionArn       string `json:"FunctionArn"`
	RuntimeVersionArn string `json:"RuntimeVersionArn,omitempty"`
}

func (a *API) putRuntimeManagementConfig(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	var req struct {
		UpdateRuntimeOn   string `json:"UpdateRuntimeOn"`
		RuntimeVersionArn string `json:"RuntimeVersionArn"`
	}
	if err := awsproto.DecodeJSON(r, maxSmallBody, "PutRuntimeManagementConfig", &req); err != nil {
		return err
	}
	rm, err := a.svc.PutRuntimeManagementConfig(r.Context(), scope(c), r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier"),
		req.UpdateRuntimeOn, req.RuntimeVersionArn)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, runtimeManagementOut{UpdateRuntimeOn: rm.UpdateRuntimeOn, FunctionArn: rm.FunctionARN, RuntimeVersionArn: rm.RuntimeVersionArn})
	return nil
}

func (a *API) putRecursionConfig(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	var req struct {
		RecursiveLoop string `json:"RecursiveLoop"`
	}
	if err := awsproto.DecodeJSON(r, maxSmallBody, "PutFunctionRecursionConfig", &req); err != nil {
		return err
	}
	loop, err := a.svc.PutFunctionRecursionConfig(r.Context(), scope(c), r.PathValue("FunctionName"), req.RecursiveLoop)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, struct {
		RecursiveLoop string `json:"RecursiveLoop"`
	}{loop})
	return nil
}

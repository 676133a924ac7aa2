package lambdaapi

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// allRoutes is the route table with the layer routes, which live beside
// their handlers.
func (a *API) allRoutes() []route {
	return append(append(a.routes(), a.layerRoutes()...), a.settingsRoutes()...)
}

// layerRoutes serves the layer operations (botocore's 2018-10-31 paths).
// GET /2018-10-31/layers is ListLayers, or GetLayerVersionByArn with
// ?find=LayerVersion.
func (a *API) layerRoutes() []route {
	return []route{
		{"GET /2018-10-31/layers", "ListLayers GetLayerVersionByArn", a.listLayersOrFind},
		{"POST /2018-10-31/layers/{LayerName}/versions", "PublishLayerVersion", a.publishLayerVersion},
		{"GET /2018-10-31/layers/{LayerName}/versions", "ListLayerVersions", a.listLayerVersions},
		{"GET /2018-10-31/layers/{LayerName}/versions/{VersionNumber}", "GetLayerVersion", a.getLayerVersion},
		{"DELETE /2018-10-31/layers/{LayerName}/versions/{VersionNumber}", "DeleteLayerVersion", a.deleteLayerVersion},
		{"POST /2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy", "AddLayerVersionPermission", a.addLayerVersionPermission},
		{"GET /2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy", "GetLayerVersionPolicy", a.getLayerVersionPolicy},
		{"DELETE /2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy/{StatementId}", "RemoveLayerVersionPermission", a.removeLayerVersionPermission},
		// Content.Location of a layer version: presigned like Code.Location.
		{"GET /_reservoir/code/layers/{Account}/{Region}/{LayerName}/{Version}", "", a.downloadLayer},
	}
}

type layerContentOut struct {
	Location   string `json:"Location"`
	CodeSha256 string `json:"CodeSha256"`
	CodeSize   int64  `json:"CodeSize"`
}

type layerVersionOut struct {
	Content                 *layerContentOut `json:"Content,omitempty"`
	LayerArn                string           `json:"LayerArn,omitempty"`
	LayerVersionArn         string           `json:"LayerVersionArn"`
	Description             string           `json:"Description"`
	CreatedDate             string           `json:"CreatedDate"`
	Version                 int              `json:"Version"`
	CompatibleRuntimes      []string         `json:"CompatibleRuntimes,omitempty"`
	LicenseInfo             string           `json:"LicenseInfo,omitempty"`
	CompatibleArchitectures []string         `json:"CompatibleArchitectures,omitempty"`
}

// toLayerVersion renders a version: with its Content and LayerArn for
// Publish/GetLayerVersion, without them in the list items.
func (a *API) toLayerVersion(l *lambda.Layer, v lambda.LayerVersion, full bool) layerVersionOut {
	out := layerVersionOut{
		LayerVersionArn:         l.LayerVersionARN(v.Version),
		Description:             v.Description,
		CreatedDate:             v.CreatedDate.UTC().Format(lastModifiedLayout),
		Version:                 v.Version,
		CompatibleRuntimes:      v.CompatibleRuntimes,
		LicenseInfo:             v.LicenseInfo,
		CompatibleArchitectures: v.CompatibleArchitectures,
	}
	if full {
		out.LayerArn = l.Scope.LayerARN(l.Name)
		path := layerPath(l.Scope.Account, l.Scope.Region, l.Name, v.Version)
		out.Content = &layerContentOut{
			Location:   a.code.base + path + "?" + a.code.signer.Presign(path, url.Values{codeURLSha: {v.CodeSha256}}),
			CodeSha256: v.CodeSha256,
			CodeSize:   v.CodeSize,
		}
	}
	return out
}

func layerPath(account, region, name string, version int) string {
	return "/_reservoir/code/layers/" + url.PathEscape(account) + "/" + url.PathEscape(region) + "/" +
		url.PathEscape(name) + "/" + strconv.Itoa(version)
}

// versionNumber reads the VersionNumber path member (a long). AWS's model
// leaves a value that is not a number to the client; Reservoir answers it
// as the constraint violation a number below 1 would be.
func versionNumber(r *http.Request) (int, error) {
	s := r.PathValue("VersionNumber")
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		var v lambda.Validation
		v.Add(lambda.Quote(s), "versionNumber", "Member must have value greater than or equal to 1")
		return 0, v.Err()
	}
	return n, nil
}

func (a *API) publishLayerVersion(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	var req struct {
		Description string `json:"Description"`
		Content     *struct {
			ZipFile         []byte  `json:"ZipFile"`
			S3Bucket        *string `json:"S3Bucket"`
			S3Key           *string `json:"S3Key"`
			S3ObjectVersion *string `json:"S3ObjectVersion"`
		} `json:"Content"`
		CompatibleRuntimes      []string `json:"CompatibleRuntimes"`
		LicenseInfo             string   `json:"LicenseInfo"`
		CompatibleArchitectures []string `json:"CompatibleArchitectures"`
	}
	if err := awsproto.DecodeJSON(r, maxCodeBody, "PublishLayerVersion", &req); err != nil {
		return err
	}
	in := lambda.LayerInput{
		LayerName: r.PathValue("LayerName"), Description: req.Description, LicenseInfo: req.LicenseInfo,
		CompatibleRuntimes: req.CompatibleRuntimes, CompatibleArchitectures: req.CompatibleArchitectures,
	}
	if req.Content != nil {
		in.HasContent = true
		in.ZipFile = req.Content.ZipFile
		in.HasS3 = req.Content.S3Bucket != nil || req.Content.S3Key != nil
	}
	l, v, err := a.svc.PublishLayerVersion(r.Context(), scope(c), in)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusCreated, a.toLayerVersion(l, v, true))
	return nil
}

func (a *API) getLayerVersion(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	n, err := versionNumber(r)
	if err != nil {
		return err
	}
	l, v, err := a.svc.GetLayerVersion(r.Context(), scope(c), r.PathValue("LayerName"), n)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, a.toLayerVersion(l, v, true))
	return nil
}

func (a *API) listLayersOrFind(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	q := r.URL.Query()
	if q.Get("find") == "LayerVersion" {
		awsproto.SetOperation(r.Context(), "GetLayerVersionByArn")
		l, v, err := a.svc.GetLayerVersionByArn(r.Context(), scope(c), q.Get("Arn"))
		if err != nil {
			return err
		}
		awsproto.WriteJSON(w, http.StatusOK, a.toLayerVersion(l, v, true))
		return nil
	}
	limit, err := maxItems(q)
	if err != nil {
		return err
	}
	items, next, err := a.svc.ListLayers(r.Context(), scope(c), q.Get("CompatibleRuntime"), q.Get("CompatibleArchitecture"), q.Get("Marker"), limit)
	if err != nil {
		return err
	}
	type listItem struct {
		LayerName             string          `json:"LayerName"`
		LayerArn              string          `json:"LayerArn"`
		LatestMatchingVersion layerVersionOut `json:"LatestMatchingVersion"`
	}
	out := struct {
		NextMarker string     `json:"NextMarker,omitempty"`
		Layers     []listItem `json:"Layers"`
	}{NextMarker: next, Layers: make([]listItem, 0, len(items))}
	for _, it := range items {
		out.Layers = append(out.Layers, listItem{LayerName: it.Layer.Name, LayerArn: it.Layer.Scope.LayerARN(it.Layer.Name),
			LatestMatchingVersion: a.toLayerVersion(it.Layer, it.Latest, false)})
	}
	awsproto.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) listLayerVersions(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	q := r.URL.Query()
	limit, err := maxItems(q)
	if err != nil {
		return err
	}
	l, versions, next, err := a.svc.ListLayerVersions(r.Context(), scope(c), r.PathValue("LayerName"),
		q.Get("CompatibleRuntime"), q.Get("CompatibleArchitecture"), q.Get("Marker"), limit)
	if err != nil {
		return err
	}
	out := struct {
		NextMarker    string            `json:"NextMarker,omitempty"`
		LayerVersions []layerVersionOut `json:"LayerVersions"`
	}{NextMarker: next, LayerVersions: make([]layerVersionOut, 0, len(versions))}
	for _, v := range versions {
		out.LayerVersions = append(out.LayerVersions, a.toLayerVersion(l, v, false))
	}
	awsproto.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) deleteLayerVersion(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	n, err := versionNumber(r)
	if err != nil {
		return err
	}
	if err := a.svc.DeleteLayerVersion(r.Context(), scope(c), r.PathValue("LayerName"), n); err != nil {
		return err
	}
	awsproto.WriteEmpty(w, http.StatusNoContent)
	return nil
}

func (a *API) addLayerVersionPermission(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	n, err := versionNumber(r)
	if err != nil {
		return err
	}
	var req struct {
		StatementID    string `json:"StatementId"`
		Action         string `json:"Action"`
		Principal      string `json:"Principal"`
		OrganizationID string `json:"OrganizationId"`
	}
	if err := awsproto.DecodeJSON(r, maxSmallBody, "AddLayerVersionPermission", &req); err != nil {
		return err
	}
	st := lambda.LayerStatement{Sid: req.StatementID, Action: req.Action, Principal: req.Principal, OrganizationID: req.OrganizationID}
	statement, rev, err := a.svc.AddLayerVersionPermission(r.Context(), scope(c), r.PathValue("LayerName"), n, st, r.URL.Query().Get("RevisionId"))
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusCreated, struct {
		Statement  string `json:"Statement"`
		RevisionID string `json:"RevisionId"`
	}{statement, rev})
	return nil
}

func (a *API) getLayerVersionPolicy(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	n, err := versionNumber(r)
	if err != nil {
		return err
	}
	policy, rev, err := a.svc.GetLayerVersionPolicy(r.Context(), scope(c), r.PathValue("LayerName"), n)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, struct {
		Policy     string `json:"Policy"`
		RevisionID string `json:"RevisionId"`
	}{policy, rev})
	return nil
}

func (a *API) removeLayerVersionPermission(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	n, err := versionNumber(r)
	if err != nil {
		return err
	}
	if err := a.svc.RemoveLayerVersionPermission(r.Context(), scope(c), r.PathValue("LayerName"), n,
		r.PathValue("StatementId"), r.URL.Query().Get("RevisionId")); err != nil {
		return err
	}
	awsproto.WriteEmpty(w, http.StatusNoContent)
	return nil
}

// downloadLayer serves a Content.Location URL, checked as downloadCode
// checks Code.Location: the signature first, then that the version still
// holds the zip the URL was issued for.
func (a *API) downloadLayer(w http.ResponseWriter, r *http.Request, _ awsproto.Caller) error {
	account, region, name, version := r.PathValue("Account"), r.PathValue("Region"), r.PathValue("LayerName"), r.PathValue("Version")
	n, convErr := strconv.Atoi(version)
	params, err := a.code.signer.Verify("/_reservoir/code/layers/"+url.PathEscape(account)+"/"+url.PathEscape(region)+"/"+
		url.PathEscape(name)+"/"+url.PathEscape(version), r.URL.RawQuery)
	if err != nil {
		return err
	}
	key := []string{"layers", account, region, name, version}
	if convErr != nil {
		return serveZip(w, nil, &lambda.Error{Kind: lambda.KindResourceNotFound}, "", key...)
	}
	b, err := a.svc.LayerCode(r.Context(), lambda.Scope{Account: account, Region: region}, name, n)
	return serveZip(w, b, err, params.Get(codeURLSha), key...)
}

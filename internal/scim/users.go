package scim

import (
	"net/http"
	"strings"
	"time"

	elim "github.com/elimity-com/scim"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"

	"callrec/internal/account"
	"callrec/internal/store"
)

// ExtensionID is callrec's User extension: what the provider's portal needs
// to know about a license holder beyond the core schema.
const ExtensionID = "urn:callrec:params:scim:schemas:extension:callrec:2.0:User"

func callrecUserSchema() schema.Schema {
	return schema.Schema{
		ID:          ExtensionID,
		Name:        optional.NewString("callrec User"),
		Description: optional.NewString("callrec licenses and portal access of a user"),
		Attributes: []schema.CoreAttribute{
			schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{Name: "licenses", MultiValued: true,
				CanonicalValues: store.LicenseTypes(), CaseExact: true,
				Description: optional.NewString("License types assigned from the tenant's pools.")})),
			schema.SimpleCoreAttribute(schema.SimpleBooleanParams(schema.BooleanParams{Name: "webPortalAccess",
				Description: optional.NewString("Whether the user may sign in to the callrec web portal.")})),
			schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{Name: "authenticationType",
				CanonicalValues: account.AuthTypes, CaseExact: true,
				Description: optional.NewString("How the user signs in: password, saml, ldap, broadworks or metaswitch.")})),
		},
	}
}

func userSchemas() []schema.Schema {
	return []schema.Schema{schema.CoreUserSchema(), callrecUserSchema()}
}

type userHandler struct{ s *Server }

// resource is the SCIM view of a callrec user. groups names the tenant's
// group ids; ext is the externalId the client gave, if any.
func userResource(u store.User, groups map[string]string, ext string) elim.Resource {
	attrs := elim.ResourceAttributes{
		"userName":    u.Login,
		"displayName": u.Name,
		"name":        map[string]any{"formatted": u.Name},
		"active":      u.Active,
		ExtensionID: map[string]any{"licenses": toAny(u.Licenses), "webPortalAccess": u.PortalAccess,
			"authenticationType": u.AuthType},
	}
	if u.Email != "" {
		attrs["emails"] = []any{map[string]any{"value": u.Email, "type": "work", "primary": true}}
	}
	gs := []any{}
	for _, id := range u.Groups {
		gs = append(gs, map[string]any{"value": id, "display": groups[id], "$ref": "../Groups/" + id})
	}
	attrs["groups"] = gs
	created, modified := u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	r := elim.Resource{ID: u.ID, Attributes: attrs,
		Meta: elim.Meta{Created: &created, LastModified: &modified, Version: `W/"` + modified.Format(time.RFC3339Nano) + `"`}}
	if ext != "" {
		r.ExternalID = optional.NewString(ext)
	}
	return r
}

// filterable is the resource as the filter sees it: with id, externalId
// and meta, which the library adds only to answers.
func filterable(r elim.Resource) map[string]any {
	m := make(map[string]any, len(r.Attributes)+3)
	for k, v := range r.Attributes {
		m[k] = v
	}
	m["id"] = r.ID
	if r.ExternalID.Present() {
		m["externalId"] = r.ExternalID.Value()
	}
	meta := map[string]any{}
	if r.Meta.LastModified != nil {
		meta["lastModified"] = r.Meta.LastModified.Format(time.RFC3339Nano)
	}
	if r.Meta.Created != nil {
		meta["created"] = r.Meta.Created.Format(time.RFC3339Nano)
	}
	m["meta"] = meta
	return m
}

func toAny(ss []string) []any {
	out := make([]any, 0, len(ss))
	for _, s := range ss {
		out = append(out, s)
	}
	return out
}

// userInput maps SCIM attributes onto callrec's user input. Attributes the
// client leaves out keep their value, except that a PUT without emails
// clears the email (RFC 7644 §3.5.1); the extension is changed only when
// the client sends it, so a client that does not know it never strips
// licenses.
func userInput(attrs map[string]any, replace bool) (account.UserInput, *string) {
	var in account.UserInput
	if v, ok := attrs["userName"].(string); ok {
		in.Login = &v
	}
	if name := displayName(attrs); name != "" {
		in.Name = &name
	}
	if v, ok := attrs["active"].(bool); ok {
		in.Active = &v
	}
	if email, ok := primaryEmail(attrs); ok || replace {
		in.Email = &email
	}
	if ext, ok := attrs[ExtensionID].(map[string]any); ok {
		if ls, ok := ext["licenses"].([]any); ok {
			list := make([]string, 0, len(ls))
			for _, l := range ls {
				if s, ok := l.(string); ok {
					list = append(list, s)
				}
			}
			in.Licenses = &list
		} else if replace {
			in.Licenses = &[]string{}
		}
		if v, ok := ext["webPortalAccess"].(bool); ok {
			in.PortalAccess = &v
		}
		if v, ok := ext["authenticationType"].(string); ok {
			in.AuthType = &v
		}
	}
	var externalID *string
	if v, ok := attrs["externalId"].(string); ok {
		externalID = &v
	} else if replace {
		empty := ""
		externalID = &empty
	}
	return in, externalID
}

// displayName picks the name callrec shows: displayName, else the
// formatted name, else given and family names, else the userName.
func displayName(attrs map[string]any) string {
	if v, ok := attrs["displayName"].(string); ok && strings.TrimSpace(v) != "" {
		return v
	}
	if n, ok := attrs["name"].(map[string]any); ok {
		if v, ok := n["formatted"].(string); ok && strings.TrimSpace(v) != "" {
			return v
		}
		given, _ := n["givenName"].(string)
		family, _ := n["familyName"].(string)
		if v := strings.TrimSpace(given + " " + family); v != "" {
			return v
		}
	}
	v, _ := attrs["userName"].(string)
	return v
}

func primaryEmail(attrs map[string]any) (string, bool) {
	list, ok := attrs["emails"].([]any)
	if !ok {
		return "", false
	}
	first := ""
	for _, e := range list {
		m, _ := e.(map[string]any)
		v, _ := m["value"].(string)
		if p, _ := m["primary"].(bool); p {
			return v, true
		}
		if first == "" {
			first = v
		}
	}
	return first, true
}

func (h *userHandler) groupNames(r *http.Request, c *account.Caller) map[string]string {
	out := map[string]string{}
	gs, err := h.s.accounts.Groups(r.Context(), c, "")
	if err != nil {
		return out
	}
	for _, g := range gs {
		out[g.ID] = g.Name
	}
	return out
}

func (h *userHandler) view(r *http.Request, u store.User) (elim.Resource, error) {
	c := callerOf(r)
	exts, err := h.s.accounts.ExternalIDs(r.Context(), c)
	if err != nil {
		return elim.Resource{}, h.s.errFor(err, u.ID)
	}
	return userResource(u, h.groupNames(r, c), exts[u.ID]), nil
}

// Create provisions a user. New users sign in with SAML through the
// provider's portal unless the client says otherwise.
func (h *userHandler) Create(r *http.Request, attrs elim.ResourceAttributes) (elim.Resource, error) {
	in, ext := userInput(attrs, false)
	if in.AuthType == nil {
		saml := "saml"
		in.AuthType = &saml
	}
	externalID := ""
	if ext != nil {
		externalID = *ext
	}
	u, err := h.s.accounts.ProvisionUser(r.Context(), callerOf(r), in, externalID)
	if err != nil {
		return elim.Resource{}, h.s.errFor(err, "")
	}
	return h.view(r, u)
}

// Get returns one user of the token's tenant.
func (h *userHandler) Get(r *http.Request, id string) (elim.Resource, error) {
	u, err := h.s.accounts.User(r.Context(), callerOf(r), id)
	if err != nil {
		return elim.Resource{}, h.s.errFor(err, id)
	}
	return h.view(r, u)
}

// GetAll lists the tenant's users that pass the filter, one page of them.
// The filter is evaluated in memory by the library's validator on the
// same representation GET returns, so every attribute filters alike.
func (h *userHandler) GetAll(r *http.Request, p elim.ListRequestParams) (elim.Page, error) {
	c := callerOf(r)
	users, err := h.s.accounts.AllUsers(r.Context(), c)
	if err != nil {
		return elim.Page{}, h.s.errFor(err, "")
	}
	exts, err := h.s.accounts.ExternalIDs(r.Context(), c)
	if err != nil {
		return elim.Page{}, h.s.errFor(err, "")
	}
	names := h.groupNames(r, c)
	match := matcher(p, userSchemas())
	var all []elim.Resource
	for _, u := range users {
		res := userResource(u, names, exts[u.ID])
		if match != nil && !match(filterable(res)) {
			continue
		}
		all = append(all, res)
	}
	return page(all, p), nil
}

// page cuts one page out of the matches (startIndex is 1-based).
func page(all []elim.Resource, p elim.ListRequestParams) elim.Page {
	out := elim.Page{TotalResults: len(all), Resources: []elim.Resource{}}
	start := max(p.StartIndex, 1) - 1
	if start >= len(all) || p.Count <= 0 {
		return out
	}
	out.Resources = all[start:min(start+min(p.Count, maxResults), len(all))]
	return out
}

// Replace stores the attributes a PUT sends.
func (h *userHandler) Replace(r *http.Request, id string, attrs elim.ResourceAttributes) (elim.Resource, error) {
	in, ext := userInput(attrs, true)
	u, err := h.s.accounts.ReprovisionUser(r.Context(), callerOf(r), id, in, ext)
	if err != nil {
		return elim.Resource{}, h.s.errFor(err, id)
	}
	return h.view(r, u)
}

// Delete removes the user; the changes feed reports a tombstone.
func (h *userHandler) Delete(r *http.Request, id string) error {
	c := callerOf(r)
	if err := h.s.accounts.DeleteUser(r.Context(), c.Actor(), c.TenantID, id); err != nil {
		return h.s.errFor(err, id)
	}
	return nil
}

// Patch applies the operations to the user as GET shows it and stores
// the result as Replace would.
func (h *userHandler) Patch(r *http.Request, id string, ops []elim.PatchOperation) (elim.Resource, error) {
	cur, err := h.Get(r, id)
	if err != nil {
		return elim.Resource{}, err
	}
	attrs := filterable(cur)
	if err := applyPatch(attrs, ops, userSchemas()...); err != nil {
		return elim.Resource{}, h.s.errFor(err, id)
	}
	in, ext := userInput(attrs, true)
	u, err := h.s.accounts.ReprovisionUser(r.Context(), callerOf(r), id, in, ext)
	if err != nil {
		return elim.Resource{}, h.s.errFor(err, id)
	}
	return h.view(r, u)
}

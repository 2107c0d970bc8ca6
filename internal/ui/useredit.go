package ui

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"callrec/internal/account"
	"callrec/internal/principal"
	"callrec/internal/roles"
	"callrec/internal/store"
	"callrec/internal/validate"
)

// userForm is the profile as the form shows it, in the guide's sections.
type userForm struct {
	ID                  string
	Name                string
	Active              bool
	Groups              []string
	Role                string
	ManagedGroups       []string
	Email               string
	Timezone            string
	Language            string
	Record              string
	RecordInbound       bool
	RecordOutbound      bool
	Extensions          []string
	Confidential        bool
	ScreenUsername      string
	Login               string
	PortalAccess        bool
	AuthType            string
	Require2FA          bool
	ValidTill           string
	PINSet              bool
	Licenses            []string
	SpeechAnalyticsType string
}

// userPage is the Add or Edit user page.
type userPage struct {
	Form         userForm
	User         *store.User // nil when adding
	Errors       map[string]string
	Groups       []store.Group
	DefaultGroup store.Group
	Pools        []pool
	Roles        []roles.Role
	Timezones    []string
	Languages    []option
	AuthTypes    []option
	RecordModes  []option
	TenantZone   string
	Tenant2FA    bool
	IsSelf       bool
}

var authTypeOptions = []option{{"password", "Password"}, {"ldap", "LDAP"}, {"broadworks", "Broadworks Web Portal"},
	{"metaswitch", "Metaswitch CommPortal"}, {"saml", "SAML 2.0"}}

var recordOptions = []option{{"always", "Always"}, {"on_demand", "On-demand"}, {"never", "Never"}, {"default", "Default"}}

// newUserForm holds the guide's defaults for a new profile: active, in the
// default group, recorded always in both directions, with call recording
// and live monitoring licenses and advanced speech analytics.
func newUserForm() userForm {
	return userForm{Active: true, Role: roles.User, Record: "always", RecordInbound: true, RecordOutbound: true, AuthType: "password",
		Licenses: []string{"call_recording", "live_monitoring"}, SpeechAnalyticsType: "advanced", Extensions: []string{""}}
}

func formOf(u store.User) userForm {
	f := userForm{ID: u.ID, Name: u.Name, Active: u.Active, Groups: u.Groups, Role: u.Role, ManagedGroups: u.ManagedGroups, Email: u.Email,
		Timezone: u.Timezone, Language: u.Language, Record: u.Record, RecordInbound: u.RecordInbound, RecordOutbound: u.RecordOutbound,
		Extensions: append(slices.Clone(u.Extensions), ""), Confidential: u.Confidential, ScreenUsername: u.ScreenUsername, Login: u.Login,
		PortalAccess: u.PortalAccess, AuthType: u.AuthType, Require2FA: u.Require2FA, ValidTill: day(u.ValidTill), PINSet: u.PINSet(),
		Licenses: u.Licenses, SpeechAnalyticsType: u.SpeechAnalyticsType}
	return f
}

// readUserForm reads the posted form and the patch it makes.
func readUserForm(r *http.Request) (userForm, account.UserInput) {
	f := userForm{Name: r.PostForm.Get("name"), Active: formBool(r, "active"), Groups: formList(r, "groups"), Role: r.PostForm.Get("role"),
		ManagedGroups: formList(r, "managed_groups"), Email: r.PostForm.Get("email"), Timezone: r.PostForm.Get("timezone"),
		Language: r.PostForm.Get("language"), Record: r.PostForm.Get("record"), RecordInbound: formBool(r, "record_inbound"),
		RecordOutbound: formBool(r, "record_outbound"), Extensions: formList(r, "extension"), Confidential: formBool(r, "confidential"),
		ScreenUsername: r.PostForm.Get("screen_recording_username"), Login: r.PostForm.Get("login"), PortalAccess: formBool(r, "web_portal_access"),
		AuthType: r.PostForm.Get("auth_type"), Require2FA: formBool(r, "two_factor_required"), ValidTill: r.PostForm.Get("valid_till"),
		Licenses: formList(r, "licenses"), SpeechAnalyticsType: r.PostForm.Get("speech_analytics_type")}
	in := account.UserInput{Name: &f.Name, Active: &f.Active, Groups: &f.Groups, Role: &f.Role, ManagedGroups: &f.ManagedGroups,
		Email: &f.Email, Timezone: &f.Timezone, Language: &f.Language, Record: &f.Record, RecordInbound: &f.RecordInbound,
		RecordOutbound: &f.RecordOutbound, Extensions: &f.Extensions, Confidential: &f.Confidential, ScreenUsername: &f.ScreenUsername,
		Login: &f.Login, PortalAccess: &f.PortalAccess, AuthType: &f.AuthType, Require2FA: &f.Require2FA, ValidTill: &f.ValidTill,
		Licenses: &f.Licenses, SpeechAnalyticsType: &f.SpeechAnalyticsType}
	if pin := strings.TrimSpace(r.PostForm.Get("pin")); pin != "" {
		in.PIN = &pin
	} else if formBool(r, "clear_pin") {
		empty := ""
		in.PIN = &empty
	}
	if pw := r.PostForm.Get("password"); pw != "" {
		in.Password = &pw
	}
	return f, in
}

// showUser renders the Add or Edit form with its choices.
func (h *Handler) showUser(w http.ResponseWriter, r *http.Request, p *principal.Principal, status int, v userPage, msg string) error {
	ctx := r.Context()
	var err error
	if v.Groups, err = h.Accounts.Groups(ctx, p, ""); err != nil {
		return serviceErr(err)
	}
	for _, g := range v.Groups {
		if g.IsDefault {
			v.DefaultGroup = g
		}
	}
	if v.Pools, err = h.pools(r, p, p.TenantID); err != nil {
		return err
	}
	t, err := h.Accounts.Tenant(ctx, p, p.TenantID)
	if err != nil {
		return serviceErr(err)
	}
	v.TenantZone, v.Tenant2FA = t.Timezone, t.Enforce2FA
	v.Roles, v.Timezones, v.Languages = tenantRoles(), timezoneOptions(v.Form.Timezone), languageOptions()
	v.AuthTypes, v.RecordModes = authTypeOptions, recordOptions
	v.IsSelf = v.User != nil && v.User.ID == p.User.ID
	if len(v.Form.Extensions) == 0 {
		v.Form.Extensions = []string{""}
	}
	title := "Add user"
	if v.User != nil {
		title = v.User.Name
	}
	if msg == "" && len(v.Errors) > 0 {
		msg = "Some fields need your attention; nothing was saved. Each is explained below the field."
	}
	h.adminView(w, r, status, "user", title, "users", v, msg)
	return nil
}

func (h *Handler) newUserPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	f := newUserForm()
	if ext := strings.TrimSpace(r.URL.Query().Get("extension")); ext != "" && len(ext) <= 64 {
		f.Extensions = []string{ext, ""} // "create user with this extension" from Unknown extensions
	}
	return h.showUser(w, r, p, http.StatusOK, userPage{Form: f}, "")
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	f, in := readUserForm(r)
	if formBool(r, "add_extension") {
		f.Extensions = append(f.Extensions, "")
		return h.showUser(w, r, p, http.StatusOK, userPage{Form: f}, "")
	}
	u, err := h.Accounts.CreateUser(r.Context(), p.Actor(), p.TenantID, in)
	if fields, ok := formErrors(err); ok {
		return h.showUser(w, r, p, http.StatusBadRequest, userPage{Form: f, Errors: fields}, "")
	}
	if err != nil {
		return err
	}
	h.redirectFlash(w, r, "/admin/users/"+u.ID, "user_created")
	return nil
}

// loadUser finds a user of the acting tenant for a users.manage page.
func (h *Handler) loadUser(r *http.Request, p *principal.Principal) (store.User, error) {
	u, err := h.Accounts.User(r.Context(), p, r.PathValue("id"))
	return u, serviceErr(err)
}

func (h *Handler) editUserPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	u, err := h.loadUser(r, p)
	if err != nil {
		return err
	}
	return h.showUser(w, r, p, http.StatusOK, userPage{Form: formOf(u), User: &u}, "")
}

func (h *Handler) updateUser(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	u, err := h.loadUser(r, p)
	if err != nil {
		return err
	}
	f, in := readUserForm(r)
	f.ID, f.PINSet = u.ID, u.PINSet()
	in.Password = nil // set on its own form
	if formBool(r, "add_extension") {
		f.Extensions = append(f.Extensions, "")
		return h.showUser(w, r, p, http.StatusOK, userPage{Form: f, User: &u}, "")
	}
	_, err = h.Accounts.UpdateUser(r.Context(), p.Actor(), p.TenantID, u.ID, in)
	if fields, ok := formErrors(err); ok {
		return h.showUser(w, r, p, http.StatusBadRequest, userPage{Form: f, User: &u, Errors: fields}, "")
	}
	if err != nil {
		return err
	}
	h.redirectFlash(w, r, "/admin/users/"+u.ID, "user_saved")
	return nil
}

// formErrors turns a service refusal into messages beside the fields.
func formErrors(err error) (map[string]string, bool) {
	if verrs, ok := errors.AsType[validate.Errors](err); ok {
		return verrs, true
	}
	if errors.Is(err, account.ErrLicenseExhausted) {
		return map[string]string{"licenses": "Not enough licenses left in the organization's pool for this selection. Untick one, or ask your service provider for more."}, true
	}
	return nil, false
}

func (h *Handler) setUserStatus(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	u, err := h.loadUser(r, p)
	if err != nil {
		return err
	}
	active := r.PostForm.Get("active") == "1"
	_, err = h.Accounts.UpdateUser(r.Context(), p.Actor(), p.TenantID, u.ID, account.UserInput{Active: &active})
	if fields, ok := formErrors(err); ok {
		return h.showUser(w, r, p, http.StatusBadRequest, userPage{Form: formOf(u), User: &u, Errors: fields}, fields["active"])
	}
	if err != nil {
		return err
	}
	flash := "user_deactivated"
	if active {
		flash = "user_activated"
	}
	h.redirectFlash(w, r, "/admin/users/"+u.ID, flash)
	return nil
}

func (h *Handler) setUserPassword(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	u, err := h.loadUser(r, p)
	if err != nil {
		return err
	}
	pw := r.PostForm.Get("new_password")
	_, err = h.Accounts.UpdateUser(r.Context(), p.Actor(), p.TenantID, u.ID, account.UserInput{Password: &pw})
	if fields, ok := formErrors(err); ok {
		errs := map[string]string{"new_password": fields["password"]}
		return h.showUser(w, r, p, http.StatusBadRequest, userPage{Form: formOf(u), User: &u, Errors: errs}, "The password was not changed: "+fields["password"])
	}
	if err != nil {
		return err
	}
	h.redirectFlash(w, r, "/admin/users/"+u.ID, "password_set")
	return nil
}

func (h *Handler) resetUserTwoFactor(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	u, err := h.loadUser(r, p)
	if err != nil {
		return err
	}
	if err := h.Accounts.ResetTwoFactor(r.Context(), p.Actor(), p.TenantID, u.ID); err != nil {
		return err
	}
	h.redirectFlash(w, r, "/admin/users/"+u.ID, "two_factor_reset")
	return nil
}

func (h *Handler) deleteUserPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	u, err := h.loadUser(r, p)
	if err != nil {
		return err
	}
	h.adminView(w, r, http.StatusOK, "confirm", "Delete "+u.Name, "users", confirmView{
		Heading: "Delete user " + u.Name + "?", Action: "/admin/users/" + u.ID + "/delete", Button: "Delete user", Cancel: "/admin/users/" + u.ID,
		Lines: []string{"The user is removed with their groups, extensions and licenses; the licenses return to the pool.",
			"Their recordings stay and keep the name they were made with.",
			"To keep the profile but stop sign-in and recording rules from applying, deactivate the user instead."},
		Self: u.ID == p.User.ID}, "")
	return nil
}

func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	u, err := h.loadUser(r, p)
	if err != nil {
		return err
	}
	if err := h.Accounts.DeleteUser(r.Context(), p.Actor(), p.TenantID, u.ID); err != nil {
		if fields, ok := formErrors(err); ok {
			return h.showUser(w, r, p, http.StatusBadRequest, userPage{Form: formOf(u), User: &u}, fields["id"])
		}
		return err
	}
	h.redirectFlash(w, r, "/admin/users", "user_deleted")
	return nil
}

// confirmView is a confirmation page for a destructive action.
type confirmView struct {
	Heading string
	Lines   []string
	Action  string
	Button  string
	Cancel  string
	Self    bool
}

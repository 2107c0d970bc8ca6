package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// User is a person of a tenant (or, with an empty TenantID, of the provider).
// Secrets are stored hashed and never serialised.
type User struct {
	ID                   string     `json:"id"`
	TenantID             string     `json:"tenant_id,omitempty"`
	Name                 string     `json:"name"`
	Active               bool       `json:"active"`
	Role                 string     `json:"role"`
	Email                string     `json:"email"`
	Timezone             string     `json:"timezone"`
	Language             string     `json:"language"`
	Record               string     `json:"record"`
	RecordInbound        bool       `json:"record_inbound"`
	RecordOutbound       bool       `json:"record_outbound"`
	Confidential         bool       `json:"confidential"`
	ScreenUsername       string     `json:"screen_recording_username"`
	Login                string     `json:"login"`
	PortalAccess         bool       `json:"web_portal_access"`
	AuthType             string     `json:"auth_type"`
	Require2FA           bool       `json:"two_factor_required"`
	ValidTill            *time.Time `json:"valid_till"`
	SpeechAnalyticsType  string     `json:"speech_analytics_type"`
	TOTPEnabled          bool       `json:"two_factor_enabled"`
	FailedLogins         int        `json:"-"`
	LockedUntil          *time.Time `json:"locked_until,omitempty"`
	TermsAcceptedVersion int        `json:"terms_accepted_version"`
	CreatedAt            time.Time  `json:"created_at"`
	UpdatedAt            time.Time  `json:"updated_at"`

	PasswordHash string `json:"-"`
	PINHash      string `json:"-"`
	TOTPSecret   string `json:"-"`

	Groups        []string `json:"groups"`
	ManagedGroups []string `json:"managed_groups"`
	Extensions    []string `json:"extensions"`
	Licenses      []string `json:"licenses"`
}

// PINSet reports whether the user has a softkey PIN.
func (u User) PINSet() bool { return u.PINHash != "" }

// userColsTmpl marks each column with @ so that queries can alias the table.
const userColsTmpl = `@id, COALESCE(@tenant_id, ''), @name, @active, @role, @email, @timezone, @language, @record, @record_inbound, @record_outbound,
	@confidential, @screen_username, COALESCE(@login, ''), @portal_access, @auth_type, @require_2fa, @valid_till, @speech_analytics_type,
	@totp_enabled, @failed_logins, @locked_until, @terms_accepted_version, @created_at, @updated_at, @password_hash, @pin_hash, @totp_secret`

var userCols = strings.ReplaceAll(userColsTmpl, "@", "")

// userColsAs returns the user columns qualified by a table alias.
func userColsAs(alias string) string { return strings.ReplaceAll(userColsTmpl, "@", alias+".") }

func scanUser(s interface{ Scan(...any) error }) (User, error) {
	var u User
	var validTill, lockedUntil sql.NullTime
	err := s.Scan(&u.ID, &u.TenantID, &u.Name, &u.Active, &u.Role, &u.Email, &u.Timezone, &u.Language, &u.Record,
		&u.RecordInbound, &u.RecordOutbound, &u.Confidential, &u.ScreenUsername, &u.Login, &u.PortalAccess, &u.AuthType,
		&u.Require2FA, &validTill, &u.SpeechAnalyticsType, &u.TOTPEnabled, &u.FailedLogins, &lockedUntil,
		&u.TermsAcceptedVersion, &u.CreatedAt, &u.UpdatedAt, &u.PasswordHash, &u.PINHash, &u.TOTPSecret)
	if err != nil {
		return u, mapErr(err)
	}
	u.ValidTill = timePtr(validTill)
	u.LockedUntil = timePtr(lockedUntil)
	return u, nil
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time.UTC()
	return &v
}

func nullTime(t *time.Time) sql.NullTime {
	if t == nil {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: t.UTC(), Valid: true}
}

// InsertUser stores the user row; relations are set separately.
func (q Q) InsertUser(ctx context.Context, u User) error {
	_, err := q.exec(ctx, `INSERT INTO users (id, tenant_id, name, active, role, email, timezone, language, record, record_inbound,
		record_outbound, confidential, screen_username, login, portal_access, auth_type, require_2fa, valid_till, speech_analytics_type,
		password_hash, pin_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, nullable(u.TenantID), u.Name, u.Active, u.Role, u.Email, u.Timezone, u.Language, u.Record, u.RecordInbound,
		u.RecordOutbound, u.Confidential, u.ScreenUsername, nullable(u.Login), u.PortalAccess, u.AuthType, u.Require2FA,
		nullTime(u.ValidTill), u.SpeechAnalyticsType, u.PasswordHash, u.PINHash, u.CreatedAt, u.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store: insert user: %w", err)
	}
	return nil
}

// UpdateUserProfile writes the profile fields an admin edits.
func (q Q) UpdateUserProfile(ctx context.Context, u User) error {
	err := affectedOne(q.exec(ctx, `UPDATE users SET name = ?, active = ?, role = ?, email = ?, timezone = ?, language = ?, record = ?,
		record_inbound = ?, record_outbound = ?, confidential = ?, screen_username = ?, login = ?, portal_access = ?, auth_type = ?,
		require_2fa = ?, valid_till = ?, speech_analytics_type = ?, pin_hash = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
		u.Name, u.Active, u.Role, u.Email, u.Timezone, u.Language, u.Record, u.RecordInbound, u.RecordOutbound, u.Confidential,
		u.ScreenUsername, nullable(u.Login), u.PortalAccess, u.AuthType, u.Require2FA, nullTime(u.ValidTill), u.SpeechAnalyticsType,
		u.PINHash, u.UpdatedAt, u.TenantID, u.ID))
	if err != nil {
		return fmt.Errorf("store: update user: %w", err)
	}
	return nil
}

// GetUser returns a user of the tenant with its relations.
func (q Q) GetUser(ctx context.Context, tenantID, id string) (User, error) {
	u, err := scanUser(q.row(ctx, `SELECT `+userCols+` FROM users WHERE tenant_id = ? AND id = ?`, tenantID, id))
	if err != nil {
		return u, fmt.Errorf("store: get user: %w", err)
	}
	return u, q.loadRelations(ctx, &u)
}

// GetUserByID returns any user by id, for resolving a session or token
// whose tenant is not known yet.
func (q Q) GetUserByID(ctx context.Context, id string) (User, error) {
	u, err := scanUser(q.row(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	if err != nil {
		return u, fmt.Errorf("store: get user: %w", err)
	}
	return u, q.loadRelations(ctx, &u)
}

// GetUserByLogin finds a user by login, which is unique installation-wide.
func (q Q) GetUserByLogin(ctx context.Context, login string) (User, error) {
	u, err := scanUser(q.row(ctx, `SELECT `+userCols+` FROM users WHERE lower(login) = lower(?)`, login))
	if err != nil {
		return u, fmt.Errorf("store: get user by login: %w", err)
	}
	return u, q.loadRelations(ctx, &u)
}

// DeleteUser removes a user of the tenant.
func (q Q) DeleteUser(ctx context.Context, tenantID, id string) error {
	if err := affectedOne(q.exec(ctx, `DELETE FROM users WHERE tenant_id = ? AND id = ?`, tenantID, id)); err != nil {
		return fmt.Errorf("store: delete user: %w", err)
	}
	return nil
}

func (q Q) loadRelations(ctx context.Context, u *User) error {
	if u.TenantID == "" {
		return nil
	}
	var err error
	if u.Groups, err = q.userStrings(ctx, `SELECT group_id FROM group_members WHERE tenant_id = ? AND user_id = ? ORDER BY group_id`, u.TenantID, u.ID); err != nil {
		return err
	}
	if u.ManagedGroups, err = q.userStrings(ctx, `SELECT group_id FROM managed_groups WHERE tenant_id = ? AND user_id = ? ORDER BY group_id`, u.TenantID, u.ID); err != nil {
		return err
	}
	if u.Extensions, err = q.userStrings(ctx, `SELECT extension FROM user_extensions WHERE tenant_id = ? AND user_id = ? ORDER BY extension`, u.TenantID, u.ID); err != nil {
		return err
	}
	u.Licenses, err = q.userStrings(ctx, `SELECT license_type FROM user_licenses WHERE tenant_id = ? AND user_id = ? ORDER BY license_type`, u.TenantID, u.ID)
	return err
}

// SetUserExtensions replaces the user's extensions; one already used by
// another user of the tenant gives ErrConflict.
// Extensions synced from Teams that are kept stay marked as synced.
func (q Q) SetUserExtensions(ctx context.Context, tenantID, userID string, exts []string) error {
	synced, err := q.userStrings(ctx, `SELECT extension FROM user_extensions WHERE tenant_id = ? AND user_id = ? AND source = ?`, tenantID, userID, ExtensionSourceTeams)
	if err != nil {
		return err
	}
	if _, err := q.exec(ctx, `DELETE FROM user_extensions WHERE tenant_id = ? AND user_id = ?`, tenantID, userID); err != nil {
		return fmt.Errorf("store: clear extensions: %w", err)
	}
	for _, e := range exts {
		source := ""
		if slices.Contains(synced, e) {
			source = ExtensionSourceTeams
		}
		if _, err := q.exec(ctx, `INSERT INTO user_extensions (tenant_id, user_id, extension, source) VALUES (?, ?, ?, ?)`, tenantID, userID, e, source); err != nil {
			return fmt.Errorf("store: extension %s: %w", e, err)
		}
	}
	return nil
}

// SetUserGroups replaces the user's group memberships.
func (q Q) SetUserGroups(ctx context.Context, tenantID, userID string, groupIDs []string) error {
	return q.replaceGroupLinks(ctx, "group_members", tenantID, userID, groupIDs)
}

// SetManagedGroups replaces the groups a supervisor or admin manages.
func (q Q) SetManagedGroups(ctx context.Context, tenantID, userID string, groupIDs []string) error {
	return q.replaceGroupLinks(ctx, "managed_groups", tenantID, userID, groupIDs)
}

func (q Q) replaceGroupLinks(ctx context.Context, table, tenantID, userID string, groupIDs []string) error {
	if _, err := q.exec(ctx, `DELETE FROM `+table+` WHERE tenant_id = ? AND user_id = ?`, tenantID, userID); err != nil {
		return fmt.Errorf("store: clear %s: %w", table, err)
	}
	for _, g := range groupIDs {
		res, err := q.exec(ctx, `INSERT INTO `+table+` (tenant_id, group_id, user_id)
			SELECT tenant_id, id, ? FROM user_groups WHERE tenant_id = ? AND id = ?`, userID, tenantID, g)
		if err := affectedOne(res, err); err != nil {
			return fmt.Errorf("store: %s %s: %w", table, g, err)
		}
	}
	return nil
}

// ExtensionOwner returns the id of the tenant's user holding the extension.
func (q Q) ExtensionOwner(ctx context.Context, tenantID, ext string) (string, error) {
	var id string
	err := q.row(ctx, `SELECT user_id FROM user_extensions WHERE tenant_id = ? AND extension = ?`, tenantID, ext).Scan(&id)
	return id, mapErr(err)
}

// likePattern escapes s for a LIKE ... ESCAPE '\' match anywhere.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + strings.ToLower(r.Replace(s)) + "%"
}

package provportal

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// The SCIM client: written from RFC 7644 and callrec's documented
// extension, with wire types of its own.

// Holder is a callrec user as the portal synced it, with the portal's own
// access-link setting (default off, as the guide requires).
type Holder struct {
	ID              string
	UserName        string
	DisplayName     string
	Email           string
	Active          bool
	Licenses        []string
	WebPortalAccess bool
	AuthType        string
	AccessLink      bool
}

func (h Holder) holdsCallRecording() bool { return slices.Contains(h.Licenses, "call_recording") }

type scimUser struct {
	ID          string `json:"id"`
	UserName    string `json:"userName"`
	DisplayName string `json:"displayName"`
	Active      bool   `json:"active"`
	Emails      []struct {
		Value   string `json:"value"`
		Primary bool   `json:"primary"`
	} `json:"emails"`
	Ext struct {
		Licenses           []string `json:"licenses"`
		WebPortalAccess    bool     `json:"webPortalAccess"`
		AuthenticationType string   `json:"authenticationType"`
	} `json:"urn:callrec:params:scim:schemas:extension:callrec:2.0:User"`
}

type listResponse struct {
	TotalResults int        `json:"totalResults"`
	Resources    []scimUser `json:"Resources"`
}

type changesResponse struct {
	Resources []struct {
		ID       string    `json:"id"`
		UserName string    `json:"userName"`
		Deleted  bool      `json:"deleted"`
		Resource *scimUser `json:"resource"`
	} `json:"Resources"`
	NextCursor string `json:"nextCursor"`
}

// Sync brings the license holders up to date: the first time by listing
// every user (GET /Users, paged) and taking the changes feed's position,
// then by reading the changes feed, which also reports deletions.
func (p *Portal) Sync(ctx context.Context) error {
	p.mu.Lock()
	cursor := p.cursor
	p.mu.Unlock()
	var err error
	if cursor == "" {
		err = p.fullSync(ctx)
	} else {
		err = p.pollChanges(ctx, cursor)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastSync = p.opt.Clock.Now()
	p.syncErr = ""
	if err != nil {
		p.syncErr = err.Error()
	}
	return err
}

func (p *Portal) fullSync(ctx context.Context) error {
	// Take the feed's position first, so that changes made during the
	// listing are read again next time rather than lost.
	cursor, err := p.drainCursor(ctx)
	if err != nil {
		return err
	}
	seen := map[string]scimUser{}
	for start := 1; ; {
		var page listResponse
		if err := p.get(ctx, fmt.Sprintf("/scim/v2/Users?startIndex=%d&count=100", start), &page); err != nil {
			return err
		}
		for _, u := range page.Resources {
			seen[strings.ToLower(u.UserName)] = u
		}
		start += len(page.Resources)
		if len(page.Resources) == 0 || start > page.TotalResults {
			break
		}
	}
	p.mu.Lock()
	for key := range p.holders {
		if _, ok := seen[key]; !ok {
			delete(p.holders, key)
		}
	}
	for _, u := range seen {
		p.upsert(u)
	}
	p.cursor = cursor
	p.mu.Unlock()
	return nil
}

// drainCursor reads the changes feed to its end and returns its position.
func (p *Portal) drainCursor(ctx context.Context) (string, error) {
	cursor := ""
	for {
		var ch changesResponse
		if err := p.get(ctx, "/scim/v2/Changes?since="+url.QueryEscape(cursor), &ch); err != nil {
			return "", err
		}
		if len(ch.Resources) == 0 {
			return cursor, nil
		}
		cursor = ch.NextCursor
	}
}

func (p *Portal) pollChanges(ctx context.Context, cursor string) error {
	for {
		var ch changesResponse
		if err := p.get(ctx, "/scim/v2/Changes?since="+url.QueryEscape(cursor), &ch); err != nil {
			return err
		}
		if len(ch.Resources) == 0 {
			return nil
		}
		p.mu.Lock()
		for _, c := range ch.Resources {
			switch {
			case c.Deleted:
				delete(p.holders, strings.ToLower(c.UserName))
			case c.Resource != nil:
				p.upsert(*c.Resource)
			}
		}
		p.cursor = ch.NextCursor
		p.mu.Unlock()
		cursor = ch.NextCursor
	}
}

// upsert stores a synced user, keeping the portal's access-link setting.
// The caller holds p.mu.
func (p *Portal) upsert(u scimUser) {
	if u.UserName == "" {
		return
	}
	key := strings.ToLower(u.UserName)
	h := &Holder{ID: u.ID, UserName: u.UserName, DisplayName: u.DisplayName, Active: u.Active, Licenses: u.Ext.Licenses,
		WebPortalAccess: u.Ext.WebPortalAccess, AuthType: u.Ext.AuthenticationType}
	for _, e := range u.Emails {
		if h.Email == "" || e.Primary {
			h.Email = e.Value
		}
	}
	if old := p.holders[key]; old != nil {
		h.AccessLink = old.AccessLink
	}
	p.holders[key] = h
}

func (p *Portal) get(ctx context.Context, path string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.opt.CallrecURL+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+p.opt.SCIMToken)
	req.Header.Set("Accept", "application/scim+json")
	res, err := p.opt.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("SCIM %s: %w", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		var e struct {
			Detail string `json:"detail"`
		}
		_ = json.Unmarshal(body, &e)
		return fmt.Errorf("SCIM %s: HTTP %d %s", strings.SplitN(path, "?", 2)[0], res.StatusCode, e.Detail)
	}
	return json.Unmarshal(body, into)
}

// Holders returns the synced users (tests and the admin page read them).
func (p *Portal) Holders() []Holder {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Holder, 0, len(p.holders))
	for _, h := range p.holders {
		out = append(out, *h)
	}
	return out
}

// mayConnect is the guide's double gate: callrec grants web portal access
// and the portal's admin ticked the access link; the user must also still
// hold an active Call Recording license.
func (p *Portal) mayConnect(login string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := p.holders[strings.ToLower(login)]
	return h != nil && h.AccessLink && h.Active && h.WebPortalAccess && h.holdsCallRecording()
}

func (p *Portal) holder(login string) (Holder, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := p.holders[strings.ToLower(login)]
	if h == nil {
		return Holder{}, false
	}
	return *h, true
}

func urlQuery(s string) string { return url.QueryEscape(s) }

package web_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"strings"
	"time"

	"callrec/internal/account"
	"callrec/internal/sso"
	"callrec/internal/store"
)

// side says whose objects a request names: the caller's own tenant's or
// another tenant's.
type side string

const (
	own   side = "own tenant"
	other side = "other tenant"
)

// kindOf is what a path parameter names, read from the segments before
// it; "" for a parameter the walk cannot fill yet (the test then fails,
// naming the route, until it learns to).
func kindOf(before []string) string {
	prev := before[len(before)-1]
	if prev == "alerts" && len(before) > 1 && before[len(before)-2] == "provider" {
		return "provider_alert"
	}
	switch prev {
	case "users", "members":
		return "user"
	case "groups":
		return "group"
	case "sip-sources":
		return "sip_source"
	case "recordings", "calls":
		return "call"
	case "notes":
		return "note"
	case "tokens":
		return "token"
	case "scim-tokens":
		return "scim_token"
	case "tenants":
		return "tenant"
	case "alerts":
		return "alert"
	case "powershell":
		return "script"
	case "sso", "saml-idps":
		return "saml_idp"
	case "topics":
		return "topic"
	case "evaluation-forms", "forms":
		return "evaluation_form"
	case "evaluations":
		return "evaluation"
	}
	return ""
}

// tenantBound reports whether a kind of object belongs to one tenant, so
// that naming another tenant's makes sense.
func tenantBound(kind string) bool {
	return kind != "provider_alert" && kind != "script" && kind != "saml_idp"
}

// target is a route's path with its parameters filled for one request.
type target struct {
	method, path string
	kinds        []string // what the parameters name
}

// bound reports whether any parameter names a tenant's object.
func (tg target) bound() bool {
	for _, k := range tg.kinds {
		if tenantBound(k) {
			return true
		}
	}
	return false
}

// fill makes the objects a route's parameters name, fresh for each request
// (a deletion in one never changes another), in the caller's own tenant
// or in the other, and returns the path to ask. A parameter of a kind the
// walk does not know is an error naming it.
func (w *world) fill(pattern string, c walker, s side) (target, error) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "GET", pattern
	}
	tg := target{method: method}
	tenantID := w.a.ID
	if s == other {
		tenantID = w.b.ID
	}
	segs := strings.Split(path, "/")
	var call, group string
	for i, seg := range segs {
		if seg == "{$}" {
			segs[i] = ""
			continue
		}
		if !strings.HasPrefix(seg, "{") {
			continue
		}
		kind := kindOf(segs[:i])
		if kind == "" {
			return tg, fmt.Errorf("the walk has no object for %s after /%s: teach kindOf and make", seg, segs[i-1])
		}
		tg.kinds = append(tg.kinds, kind)
		segs[i] = w.make(kind, tenantID, c, s, call, group)
		switch kind {
		case "call":
			call = segs[i]
		case "group":
			group = segs[i]
		}
	}
	tg.path = strings.Join(segs, "/")
	if strings.HasSuffix(tg.path, "/") && tg.path != "/" {
		tg.path += "walk-unknown" // a subtree pattern (static files): a name under it
	}
	return tg, nil
}

// owner is whose object the caller acts on: its own user in its own
// tenant, else the tenant's admin.
func (w *world) owner(tenantID string, c walker) string {
	if c.user.TenantID == tenantID && !c.anonymous() {
		return c.user.ID
	}
	if tenantID == w.b.ID {
		return w.users["B:admin"].ID
	}
	return w.users["A:admin"].ID
}

// make creates one object of kind in the tenant and returns its id; a
// note goes on call, a user named under a group joins it.
func (w *world) make(kind, tenantID string, c walker, s side, call, group string) string {
	w.t.Helper()
	ctx := context.Background()
	n := w.next()
	label := fmt.Sprintf("walk %d", n)
	if tenantID == w.b.ID {
		label += " " + leakMark
	}
	var err error
	id := account.NewID()
	switch kind {
	case "user":
		id = w.user(tenantID, "user").ID
		if group != "" {
			err = w.db.Q().AddGroupMember(ctx, tenantID, group, id)
		}
	case "group":
		var g store.Group
		g, err = w.accounts.CreateGroup(ctx, account.System, tenantID, account.GroupInput{Name: &label})
		id = g.ID
	case "sip_source":
		addr := fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255)
		var src store.SIPSource
		src, err = w.accounts.CreateSIPSource(ctx, account.System, tenantID, account.SIPSourceInput{Name: &label, Address: &addr})
		id = src.ID
	case "call":
		err = w.db.Q().InsertCall(ctx, w.callOf(id, tenantID, w.owner(tenantID, c), label))
	case "note":
		err = w.db.Q().InsertCallNote(ctx, tenantID, store.CallNote{ID: id, CallID: call, AuthorID: w.owner(tenantID, c),
			AuthorName: label, OffsetMS: 1000, Body: label, CreatedAt: w.db.Now()})
	case "token":
		u := w.users["B:api_user"]
		if s == own && !c.anonymous() {
			u = c.user
		}
		_, id = w.token(u)
	case "scim_token":
		err = w.db.Q().InsertSCIMToken(ctx, store.SCIMToken{ID: id, TenantID: tenantID, Name: label, Hash: id, CreatedAt: w.db.Now()})
	case "tenant":
		id = tenantID
	case "alert":
		err = w.db.Q().InsertAlert(ctx, store.Alert{ID: id, TenantID: tenantID, Kind: "walk", Message: label, CreatedAt: w.db.Now()})
	case "provider_alert":
		err = w.db.InTx(ctx, func(tx store.Q) error {
			_, err := tx.RaiseProviderAlert(ctx, store.ProviderAlert{ID: id, Kind: "walk", Message: label, DedupKey: id,
				CreatedAt: w.db.Now()}, w.db.Now().Add(-time.Hour))
			return err
		})
	case "topic":
		err = w.db.Q().SaveAnalyticsTopic(ctx, store.AnalyticsTopic{ID: id, TenantID: tenantID, Name: label,
			Definition: `{"phrases":["cancel my account"]}`, CreatedAt: w.db.Now(), UpdatedAt: w.db.Now()})
	case "evaluation_form":
		err = w.db.Q().InsertEvaluationForm(ctx, w.formOf(id, tenantID, label), "")
	case "evaluation":
		form := account.NewID()
		if err = w.db.Q().InsertEvaluationForm(ctx, w.formOf(form, tenantID, label), ""); err == nil {
			err = w.db.Q().InsertEvaluation(ctx, store.Evaluation{ID: id, TenantID: tenantID, CallID: id, AgentID: w.owner(tenantID, c),
				EvaluatorID: w.owner(tenantID, c), FormID: form, FormVersion: 1, Answers: "[]", Comment: label, Status: store.EvalSubmitted,
				CallStartedAt: w.db.Now(), CreatedAt: w.db.Now(), UpdatedAt: w.db.Now()})
		}
	case "script":
		id = "connect"
	case "saml_idp":
		// The provider's, not a tenant's: named without a tenant's mark.
		err = w.db.Q().InsertSAMLIdP(ctx, store.SAMLIdP{ID: id, Name: fmt.Sprintf("walk idp %d", n), EntityID: "https://idp.example/" + id,
			SSOURL: "https://idp.example/sso", Cert1: w.idpCert(), MatchAttr: "nameid", Enabled: true,
			CreatedAt: w.db.Now(), UpdatedAt: w.db.Now()})
	}
	if err != nil {
		w.t.Fatalf("make %s in %q: %v", kind, tenantID, err)
	}
	return id
}

// callOf is a finished, recorded call of the user.
func (w *world) callOf(id, tenantID, userID, label string) store.Call {
	now := w.db.Now()
	return store.Call{ID: id, TenantID: tenantID, State: store.CallCompleted, Direction: "inbound", StartedAt: now.Add(-time.Hour),
		DurationMS: 90_000, Recorded: true, DecisionReason: "walk", RecordedUserID: userID, Caller: label, Callee: "2001",
		CreatedAt: now, UpdatedAt: now}
}

// formOf is a one-question evaluation form.
func (w *world) formOf(id, tenantID, label string) store.EvaluationForm {
	def := `{"sections":[{"title":"` + label + `","questions":[{"id":"q1","text":"` + label + `","kind":"yes_no","weight":1}]}]}`
	return store.EvaluationForm{ID: id, TenantID: tenantID, Name: label, Definition: def, CreatedAt: w.db.Now(), UpdatedAt: w.db.Now()}
}

// idpCert is a signing certificate for the walk's identity providers.
func (w *world) idpCert() string {
	w.t.Helper()
	if w.cert == "" {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			w.t.Fatal(err)
		}
		if w.cert, err = sso.SelfSigned(key, "walk idp", w.db.Now()); err != nil {
			w.t.Fatal(err)
		}
	}
	return w.cert
}

package recorder

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"callrec/internal/account"
	"callrec/internal/siprec"
	"callrec/internal/sipsource"
	"callrec/internal/store"
)

// alertEvery is how often one set of tied sources may alert the provider:
// a flood of INVITEs from a shared SBC raises one alert, not thousands.
const alertEvery = time.Hour

// alertRetry is how soon an alert that could not be written (database
// down) is tried again.
const alertRetry = time.Minute

// sourceFor names the source, and so the tenant, of an INVITE: the Teams
// bot's admission, else the registered source it matches. No match is
// 403; a tie between sources of different tenants is 403 too, and alerts
// the provider, because giving the call to either could hand one
// customer's call to another.
func (r *Recorder) sourceFor(ctx context.Context, o siprec.Offer, sources []store.SIPSource, adm *Admission) (store.SIPSource, error) {
	if adm != nil {
		return store.SIPSource{TenantID: adm.TenantID}, nil
	}
	m := sipsource.Match(sources, o.Source, o.RequestURI)
	switch {
	case m.Found:
		return m.Source, nil
	case len(m.Ambiguous) > 0:
		r.refuseAmbiguous(ctx, o, m.Ambiguous)
		return store.SIPSource{}, &siprec.Reject{Code: 403, Reason: "Ambiguous SIPREC Source"}
	}
	return store.SIPSource{}, &siprec.Reject{Code: 403, Reason: "Unregistered SIPREC Source"}
}

// alertThrottle remembers when each set of tied sources may alert again,
// so that the database is not asked on every INVITE of a flood. The store
// keeps the hour across nodes and restarts (RaiseProviderAlert).
type alertThrottle struct {
	mu   sync.Mutex
	next map[string]time.Time
}

// take reports whether key may alert at now, and if so holds it for every.
func (a *alertThrottle) take(key string, now time.Time, every time.Duration) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.next == nil {
		a.next = map[string]time.Time{}
	}
	if now.Before(a.next[key]) {
		return false
	}
	for k, t := range a.next {
		if now.After(t) {
			delete(a.next, k)
		}
	}
	a.next[key] = now.Add(every)
	return true
}

// hold keeps key from alerting until the time given.
func (a *alertThrottle) hold(key string, until time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.next[key] = until
}

// ambiguousSource is one tied source in an alert's detail.
type ambiguousSource struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Address    string `json:"address"`
	Domain     string `json:"domain"`
	TenantID   string `json:"tenant_id"`
	TenantName string `json:"tenant_name"`
}

// ambiguousCall is what the provider is told about a refused INVITE.
type ambiguousCall struct {
	Name       string            `json:"name"` // the audit entry's object: the first source
	From       string            `json:"from"`
	RequestURI string            `json:"request_uri"`
	SIPCallID  string            `json:"sip_call_id"`
	Node       string            `json:"node"`
	Sources    []ambiguousSource `json:"sources"`
}

// refuseAmbiguous logs a refused tie and, at most once per set of sources
// per alertEvery, raises a provider alert with an audit entry beside it.
func (r *Recorder) refuseAmbiguous(ctx context.Context, o siprec.Offer, tied []store.SIPSource) {
	ids := make([]string, len(tied))
	for i, s := range tied {
		ids[i] = s.ID
	}
	slices.Sort(ids)
	key := "sip_source_ambiguous:" + strings.Join(ids, ",")
	r.log.Warn("recorder: INVITE matches SIPREC sources of several tenants equally well; refused",
		"call_id", o.CallID, "from", o.Source, "request_uri", o.RequestURI, "sources", ids)
	now := r.now()
	if !r.alerts.take(key, now, alertEvery) {
		return
	}
	dbctx, cancel := context.WithTimeout(ctx, dbWait)
	defer cancel()
	if err := r.raiseAmbiguous(dbctx, o, tied, key); err != nil {
		r.log.Error("recorder: provider alert for an ambiguous SIPREC source not written", "sources", ids, "err", err)
		r.alerts.hold(key, now.Add(alertRetry))
	}
}

func (r *Recorder) raiseAmbiguous(ctx context.Context, o siprec.Offer, tied []store.SIPSource, key string) error {
	d := ambiguousCall{Name: tied[0].Name, From: o.Source.String(), RequestURI: o.RequestURI, SIPCallID: o.CallID, Node: r.cfg.Node}
	var names []string
	for _, s := range tied {
		as := ambiguousSource{ID: s.ID, Name: s.Name, Address: s.Address, Domain: s.Domain, TenantID: s.TenantID, TenantName: s.TenantID}
		if t, err := r.db.Q().GetTenant(ctx, s.TenantID); err == nil {
			as.TenantName = t.Name
		}
		d.Sources = append(d.Sources, as)
		names = append(names, fmt.Sprintf("%s's %q (%s%s)", as.TenantName, s.Name, s.Address, domainNote(s.Domain)))
	}
	detail, err := json.Marshal(d)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("A SIPREC call from %s (request-URI %s) matched sources of different customers equally well and was refused (SIP 403): %s. "+
		"Give the sources addresses that do not overlap, or a different domain each.", d.From, o.RequestURI, strings.Join(names, " and "))
	now := r.db.Now()
	return r.db.InTx(ctx, func(tx store.Q) error {
		raised, err := tx.RaiseProviderAlert(ctx, store.ProviderAlert{ID: account.NewID(), Kind: "sip_source_ambiguous", Message: msg,
			Detail: detail, DedupKey: key, CreatedAt: now}, now.Add(-alertEvery))
		if err != nil || !raised {
			return err
		}
		return tx.InsertAudit(ctx, store.AuditEntry{ID: account.NewID(), ActorLogin: "recorder", Action: "sip_source.ambiguous_call",
			ObjectType: "sip_source", ObjectID: tied[0].ID, Detail: string(detail), IP: d.From, CreatedAt: now})
	})
}

func domainNote(domain string) string {
	if domain == "" {
		return ", any domain"
	}
	return ", domain " + domain
}

package provportal

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/xml"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/crewjam/saml"
	"github.com/crewjam/saml/logger"
)

// The identity provider is crewjam/saml's, with a key and a self-signed
// certificate generated at start (the SP learns them from /saml/metadata).
// Users are named by their login in an emailAddress NameID, with the
// attributes login and email as the contract with callrec's SP says.

func (p *Portal) newIdP() error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	now := p.opt.Clock.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: "Provider Portal (emulated) SAML IdP"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	base, err := url.Parse(p.opt.PublicURL)
	if err != nil {
		return fmt.Errorf("provportal: public URL: %w", err)
	}
	p.spCache = &spMetadata{url: p.opt.SPMetadataURL, client: p.opt.HTTPClient}
	p.idp = &saml.IdentityProvider{
		Key: key, Certificate: cert, Logger: logger.DefaultLogger,
		MetadataURL: *base.JoinPath("/saml/metadata"), SSOURL: *base.JoinPath("/saml/sso"), LogoutURL: *base.JoinPath("/saml/slo"),
		ServiceProviderProvider: p.spCache,
		SessionProvider:         &sessions{p: p},
		NameIDFormats:           []saml.NameIDFormat{saml.EmailAddressNameIDFormat},
	}
	return nil
}

// connect is "Call Recording – Connect": an IdP-initiated SAML response
// posted to callrec's ACS, for a user whose access link is ticked.
func (p *Portal) connect(w http.ResponseWriter, r *http.Request) {
	s, a := p.at(w, r, stageOK)
	if s == nil {
		return
	}
	if !p.mayConnect(a.Login) {
		http.Error(w, "Call Recording is not enabled for your user. Ask your administrator.", http.StatusForbidden)
		return
	}
	ed, err := p.spCache.get()
	if err != nil {
		p.opt.Log.Error("provider portal: SP metadata", "url", p.opt.SPMetadataURL, "err", err)
		http.Error(w, "Call Recording cannot be reached right now.", http.StatusBadGateway)
		return
	}
	p.idp.ServeIDPInitiated(w, r, ed.EntityID, "")
}

// sessions gives the IdP the signed-in user, and ends sessions on SLO.
type sessions struct{ p *Portal }

// GetSession answers for a signed-in user who may use Call Recording; it
// sends anyone else to sign in, or refuses.
func (sp *sessions) GetSession(w http.ResponseWriter, r *http.Request, _ *saml.IdpAuthnRequest) *saml.Session {
	s, a := sp.p.current(r)
	if s == nil || a == nil || s.stage != stageOK {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return nil
	}
	if !sp.p.mayConnect(a.Login) {
		http.Error(w, "Call Recording is not enabled for your user.", http.StatusForbidden)
		return nil
	}
	return sp.p.samlSession(s, a)
}

func (p *Portal) samlSession(s *session, a *account) *saml.Session {
	email := a.Login
	if h, ok := p.holder(a.Login); ok && h.Email != "" {
		email = h.Email
	}
	attr := func(name, v string) saml.Attribute {
		return saml.Attribute{Name: name, NameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
			Values: []saml.AttributeValue{{Type: "xs:string", Value: v}}}
	}
	return &saml.Session{ID: s.index, CreateTime: s.created, ExpireTime: s.expires, Index: s.index,
		NameID: a.Login, NameIDFormat: string(saml.EmailAddressNameIDFormat),
		UserName: a.Login, UserEmail: email, UserCommonName: a.Name,
		CustomAttributes: []saml.Attribute{attr("login", a.Login), attr("email", email)}}
}

// InvalidateSession ends the portal sessions a LogoutRequest names.
func (sp *sessions) InvalidateSession(_ http.ResponseWriter, _ *http.Request, req *saml.IdpLogoutRequest) error {
	p := sp.p
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, s := range p.sessions {
		a := p.accounts[strings.ToLower(s.login)]
		if a != nil && req.MatchesSession(&saml.Session{ID: s.index, Index: s.index, NameID: a.Login,
			NameIDFormat: string(saml.EmailAddressNameIDFormat)}) {
			delete(p.sessions, id)
		}
	}
	return nil
}

// spMetadata fetches callrec's SP metadata when first needed, and again
// until it has it.
type spMetadata struct {
	url    string
	client *http.Client
	mu     sync.Mutex
	ed     *saml.EntityDescriptor
}

func (m *spMetadata) get() (*saml.EntityDescriptor, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ed != nil {
		return m.ed, nil
	}
	res, err := m.client.Get(m.url)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", m.url, res.StatusCode)
	}
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(raw, &ed); err != nil {
		return nil, fmt.Errorf("SP metadata: %w", err)
	}
	m.ed = &ed
	return m.ed, nil
}

// GetServiceProvider knows one service provider: callrec.
func (m *spMetadata) GetServiceProvider(_ *http.Request, id string) (*saml.EntityDescriptor, error) {
	ed, err := m.get()
	if err != nil || ed.EntityID != id {
		return nil, os.ErrNotExist
	}
	return ed, nil
}

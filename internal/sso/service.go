// Package sso makes callrec a SAML 2.0 service provider: the provider
// admin registers identity providers (the provider's customer portal,
// provider-wide or per tenant), users whose authentication type is SAML 2.0
// sign in through them (IdP- or SP-initiated), and Single Logout ends
// sessions from either side. Sessions are started by internal/auth, like
// password sign-ins.
//
// Message checks (signatures and wrapping, audience, destination, validity
// window, InResponseTo) are crewjam/saml's; this package gives it the IdP's
// pinned certificates, the product clock (per ServiceProvider, no package
// global) and a replay cache in the database.
package sso

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"callrec/internal/auth"
	"callrec/internal/secretbox"
	"callrec/internal/store"
)

// The SP's endpoints under the public URL (the contract with the IdP).
const (
	MetadataPath = "/saml/metadata"
	ACSPath      = "/saml/acs"
	LoginPath    = "/saml/login"
	SLOPath      = "/saml/slo"
)

// requestTTL bounds how long an AuthnRequest or LogoutRequest callrec sent
// may be answered.
const requestTTL = 10 * time.Minute

// Service is callrec's SAML service provider.
type Service struct {
	db     *store.DB
	auth   *auth.Service
	now    func() time.Time
	log    *slog.Logger
	public *url.URL
	key    *rsa.PrivateKey
	cert   *x509.Certificate
	// Client fetches IdP metadata from a metadata URL.
	client *http.Client
}

// Options configures a Service.
type Options struct {
	Now       func() time.Time
	Log       *slog.Logger
	PublicURL string         // CALLREC_PUBLIC_URL; the entity ID is PublicURL + MetadataPath
	Box       *secretbox.Box // seals the SP's private key at rest (nil: stored as is; tests)
	// HTTPClient fetches metadata URLs (nil: a client with a 10 s timeout).
	HTTPClient *http.Client
}

// New returns the service provider, loading its signing key from the
// database or creating it on first use (every node then shares it).
func New(ctx context.Context, db *store.DB, a *auth.Service, o Options) (*Service, error) {
	if o.Now == nil {
		o.Now = db.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	pub, err := url.Parse(strings.TrimRight(o.PublicURL, "/"))
	if err != nil || pub.Scheme == "" || pub.Host == "" {
		return nil, fmt.Errorf("sso: the public URL %q is not an absolute URL", o.PublicURL)
	}
	s := &Service{db: db, auth: a, now: o.Now, log: o.Log, public: pub, client: o.HTTPClient}
	if s.key, s.cert, err = loadKey(ctx, db, o.Box, o.Now()); err != nil {
		return nil, err
	}
	return s, nil
}

// EntityID is callrec's SP entity ID: the URL of its metadata.
func (s *Service) EntityID() string { return s.endpoint(MetadataPath).String() }

func (s *Service) endpoint(path string) *url.URL {
	u := *s.public
	u.Path = strings.TrimRight(u.Path, "/") + path
	return &u
}

// Certificate is the SP's signing certificate (IdPs verify AuthnRequests
// and logout messages with it).
func (s *Service) Certificate() *x509.Certificate { return s.cert }

// sp builds the crewjam ServiceProvider for one IdP (nil: for metadata
// only), with the product clock frozen at this request's instant: every
// validity check of the request uses the same now.
func (s *Service) sp(idp *store.SAMLIdP) (*saml.ServiceProvider, error) {
	sp := &saml.ServiceProvider{
		EntityID:    s.EntityID(),
		Key:         s.key,
		Certificate: s.cert,
		MetadataURL: *s.endpoint(MetadataPath),
		AcsURL:      *s.endpoint(ACSPath),
		SloURL:      *s.endpoint(SLOPath),
		// Only HTTP-POST: the artifact binding would make callrec call out
		// to an address a response names.
		AssertionConsumerServiceBindings: []string{saml.HTTPPostBinding},
		LogoutBindings:                   []string{saml.HTTPRedirectBinding, saml.HTTPPostBinding},
		SignatureMethod:                  dsig.RSASHA256SignatureMethod,
		SignMetadata:                     true,
		AllowIDPInitiated:                true,
		AuthnNameIDFormat:                saml.UnspecifiedNameIDFormat,
		MetadataValidDuration:            7 * 24 * time.Hour,
		Clock:                            dsig.NewFakeClockAt(s.now()),
		// The IdP's certificates are pinned by the provider admin: trust
		// is in the key, not in the certificate's dates (the metadata
		// interoperability profile), so an IdP that publishes an expired
		// self-signed certificate still works.
		IgnoreCertificateExpiry: true,
		RejectSHA1Signatures:    true,
	}
	if idp == nil {
		return sp, nil
	}
	md, err := idpDescriptor(*idp)
	if err != nil {
		return nil, err
	}
	sp.IDPMetadata = md
	return sp, nil
}

// idpDescriptor is the IdP's metadata as callrec trusts it: the stored
// endpoints and the one or two pinned signing certificates, whatever the
// fetched metadata says later.
func idpDescriptor(idp store.SAMLIdP) (*saml.EntityDescriptor, error) {
	var keys []saml.KeyDescriptor
	for _, p := range []string{idp.Cert1, idp.Cert2} {
		if strings.TrimSpace(p) == "" {
			continue
		}
		c, err := ParseCertificate(p)
		if err != nil {
			return nil, err
		}
		keys = append(keys, saml.KeyDescriptor{Use: "signing", KeyInfo: saml.KeyInfo{
			X509Data: saml.X509Data{X509Certificates: []saml.X509Certificate{{Data: b64(c.Raw)}}}}})
	}
	if len(keys) == 0 {
		return nil, errors.New("sso: the identity provider has no signing certificate")
	}
	d := saml.IDPSSODescriptor{SSODescriptor: saml.SSODescriptor{RoleDescriptor: saml.RoleDescriptor{
		ProtocolSupportEnumeration: "urn:oasis:names:tc:SAML:2.0:protocol", KeyDescriptors: keys}}}
	if idp.SSOURL != "" {
		d.SingleSignOnServices = []saml.Endpoint{{Binding: saml.HTTPRedirectBinding, Location: idp.SSOURL}}
	}
	if idp.SLOURL != "" {
		d.SingleLogoutServices = []saml.Endpoint{{Binding: saml.HTTPRedirectBinding, Location: idp.SLOURL},
			{Binding: saml.HTTPPostBinding, Location: idp.SLOURL}}
	}
	return &saml.EntityDescriptor{EntityID: idp.EntityID, IDPSSODescriptors: []saml.IDPSSODescriptor{d}}, nil
}

// Metadata is the SP metadata XML, signed with the SP key.
func (s *Service) Metadata() ([]byte, error) {
	sp, err := s.sp(nil)
	if err != nil {
		return nil, err
	}
	el, err := sp.SignedMetadata()
	if err != nil {
		return nil, fmt.Errorf("sso: sign metadata: %w", err)
	}
	return elementBytes(el)
}

// loadKey reads the SP key, creating it when there is none.
func loadKey(ctx context.Context, db *store.DB, box *secretbox.Box, now time.Time) (*rsa.PrivateKey, *x509.Certificate, error) {
	k, err := db.Q().GetSAMLSPKey(ctx)
	if errors.Is(err, store.ErrNotFound) {
		if k, err = newKey(box, now); err != nil {
			return nil, nil, err
		}
		if err = db.Q().InsertSAMLSPKey(ctx, k); errors.Is(err, store.ErrConflict) {
			k, err = db.Q().GetSAMLSPKey(ctx)
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("sso: SP key: %w", err)
	}
	der := []byte(k.KeySealed)
	if box != nil {
		if der, err = box.Open(k.KeySealed, "saml-sp-key"); err != nil {
			return nil, nil, fmt.Errorf("sso: SP key: %w", err)
		}
	}
	blk, _ := pem.Decode(der)
	if blk == nil {
		return nil, nil, errors.New("sso: SP key: not PEM")
	}
	pk, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("sso: SP key: %w", err)
	}
	key, ok := pk.(*rsa.PrivateKey)
	if !ok {
		return nil, nil, errors.New("sso: SP key: not RSA")
	}
	cert, err := ParseCertificate(k.CertPEM)
	return key, cert, err
}

func newKey(box *secretbox.Box, now time.Time) (store.SAMLSPKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return store.SAMLSPKey{}, err
	}
	certPEM, err := SelfSigned(key, "callrec SAML SP", now)
	if err != nil {
		return store.SAMLSPKey{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return store.SAMLSPKey{}, err
	}
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	if box != nil {
		keyPEM = box.Seal([]byte(keyPEM), "saml-sp-key")
	}
	return store.SAMLSPKey{KeySealed: keyPEM, CertPEM: certPEM, CreatedAt: now.UTC()}, nil
}

// SelfSigned returns a PEM certificate for key valid ten years from now
// (SAML peers pin the key; nobody checks a chain).
func SelfSigned(key crypto.Signer, name string, now time.Time) (string, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return "", err
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: name},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return "", fmt.Errorf("sso: certificate: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), nil
}

// ParseCertificate reads a PEM certificate, or the bare base64 of one as
// SAML metadata carries it.
func ParseCertificate(s string) (*x509.Certificate, error) {
	s = strings.TrimSpace(s)
	var der []byte
	if blk, _ := pem.Decode([]byte(s)); blk != nil {
		der = blk.Bytes
	} else {
		var err error
		if der, err = unb64(s); err != nil {
			return nil, fmt.Errorf("sso: certificate is neither PEM nor base64: %w", err)
		}
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("sso: certificate: %w", err)
	}
	return c, nil
}

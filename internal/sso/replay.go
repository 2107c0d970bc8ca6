package sso

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"

	"callrec/internal/store"
)

// replayCache remembers accepted assertion and LogoutRequest IDs in the
// database until they expire, so a replay is refused on every node.
type replayCache struct {
	ctx context.Context
	db  *store.DB
}

// Consume implements saml.AssertionReplayCache.
func (c replayCache) Consume(id string, expires time.Time) error {
	err := c.db.Q().ConsumeSAMLID(c.ctx, id, expires)
	if errors.Is(err, store.ErrConflict) {
		return saml.ErrAssertionReplayed
	}
	return err
}

// maxMessage bounds a SAML message read before its signature is checked.
const maxMessage = 256 << 10

// peeked is what a message says about itself before it is verified: only
// used to choose the IdP whose certificates then verify it, and the request
// it claims to answer.
type peeked struct {
	Issuer       string
	InResponseTo string
	Redirect     bool // came with the HTTP-Redirect binding
}

// peek reads the Issuer and InResponseTo of the SAMLRequest or
// SAMLResponse in r (query: Redirect binding, deflated; form: POST).
func peek(r *http.Request, param string) (peeked, error) {
	var raw []byte
	var p peeked
	if v := r.URL.Query().Get(param); v != "" {
		z, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return p, fmt.Errorf("sso: %s: %w", param, err)
		}
		if raw, err = io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(z)), maxMessage)); err != nil {
			return p, fmt.Errorf("sso: %s: %w", param, err)
		}
		p.Redirect = true
	} else if v := r.PostFormValue(param); v != "" {
		var err error
		if raw, err = base64.StdEncoding.DecodeString(v); err != nil {
			return p, fmt.Errorf("sso: %s: %w", param, err)
		}
	} else {
		return p, fmt.Errorf("sso: no %s", param)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil || doc.Root() == nil {
		return p, fmt.Errorf("sso: %s is not XML", param)
	}
	root := doc.Root()
	if iss := root.FindElement("./Issuer"); iss != nil {
		p.Issuer = iss.Text()
	}
	p.InResponseTo = root.SelectAttrValue("InResponseTo", "")
	return p, nil
}

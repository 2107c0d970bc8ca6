package provportal

import (
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/pquerna/otp/totp"
	"golang.org/x/crypto/bcrypt"
)

// PasswordRule is the guide's rule for the portal's passwords: 8 to 30
// characters with at least one capital letter, one number and one special
// character.
func PasswordRule(pw string) error {
	n := len([]rune(pw))
	if n < 8 || n > 30 {
		return errors.New("a password has 8 to 30 characters")
	}
	var upper, digit, special bool
	for _, r := range pw {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		case !unicode.IsLetter(r) && !unicode.IsSpace(r):
			special = true
		}
	}
	if !upper || !digit || !special {
		return errors.New("a password needs a capital letter, a number and a special character")
	}
	return nil
}

type account struct {
	Account
	hash          []byte
	totpSecret    string // set once enrolment is confirmed
	pendingSecret string
	termsVersion  int
	failures      int
}

func hashPassword(pw string) ([]byte, error) {
	return bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
}

// Sign-in stages, in order.
const (
	stageMFA    = "mfa"    // password ok, TOTP code owed
	stageEnroll = "enroll" // password ok, no authenticator yet
	stageTerms  = "terms"  // terms and conditions not accepted yet
	stageOK     = "ok"
)

type session struct {
	id      string // the cookie's value: never leaves the portal
	index   string // the SAML SessionIndex the SP sees
	login   string
	stage   string
	csrf    string
	created time.Time
	expires time.Time
}

const cookieName = "provportal_session"

// current returns the request's session, if any and not expired.
func (p *Portal) current(r *http.Request) (*session, *account) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return nil, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.sessions[c.Value]
	if s == nil || p.opt.Clock.Now().After(s.expires) {
		return nil, nil
	}
	return s, p.accounts[strings.ToLower(s.login)]
}

func (p *Portal) startSession(w http.ResponseWriter, a *account) {
	now := p.opt.Clock.Now()
	s := &session{id: randomID(), index: randomID(), login: a.Login, csrf: randomID(), created: now, expires: now.Add(8 * time.Hour)}
	s.stage = stageMFA
	if a.totpSecret == "" {
		s.stage = stageEnroll
	}
	p.sessions[s.id] = s
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: s.id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: strings.HasPrefix(p.opt.PublicURL, "https://")})
}

// nextStage is where a session goes once its second factor is done.
func (p *Portal) nextStage(a *account) string {
	if a.termsVersion < p.opt.TermsVersion {
		return stageTerms
	}
	return stageOK
}

// checkPassword verifies a sign-in; five failures in a row lock the
// account until the emulator restarts.
func (p *Portal) checkPassword(login, pw string) (*account, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a := p.accounts[strings.ToLower(strings.TrimSpace(login))]
	if a == nil {
		_ = bcrypt.CompareHashAndPassword([]byte("$2a$10$0000000000000000000000000000000000000000000000000000"), []byte(pw))
		return nil, false
	}
	if a.failures >= 5 || bcrypt.CompareHashAndPassword(a.hash, []byte(pw)) != nil {
		a.failures++
		return nil, false
	}
	a.failures = 0
	return a, true
}

func (p *Portal) validCode(secret, code string) bool {
	ok, err := totp.ValidateCustom(strings.TrimSpace(code), secret, p.opt.Clock.Now(), totpOpts)
	return err == nil && ok
}

// Package mstest is a scripted person at the Microsoft emulator's pages:
// it signs in, picks accounts, accepts or cancels consent and uses the
// admin center, as the guide tells a Teams admin to. Tests of callrec's
// Microsoft-facing flows use it; callrec itself never imports it.
package mstest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Browser is an HTTP client with a cookie jar, as a browser would be. It
// stops following redirects at any path in Stop (callrec pages the test
// wants to look at itself).
type Browser struct {
	T     testing.TB
	C     *http.Client
	MSURL string // the emulator's base URL
}

// New returns a Browser for the emulator at msURL.
func New(t testing.TB, msURL string, stop ...string) *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{T: t, MSURL: msURL, C: &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		for _, p := range stop {
			if req.URL.Path == p {
				return http.ErrUseLastResponse
			}
		}
		return nil
	}}}
}

// Get fetches a page.
func (b *Browser) Get(u string) (*http.Response, string) {
	b.T.Helper()
	res, err := b.C.Get(u)
	if err != nil {
		b.T.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

// Post submits a form.
func (b *Browser) Post(u string, v url.Values) (*http.Response, string) {
	b.T.Helper()
	res, err := b.C.PostForm(u, v)
	if err != nil {
		b.T.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

var (
	flowRe    = regexp.MustCompile(`name="flow" value="([^"]+)"`)
	actionRe  = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	accountRe = regexp.MustCompile(`name="account" value="([^"]+)"[^<]*<button[^>]*>.*?<br>([^<]+)<br>`)
)

// Find returns the first submatch of re in page, or fails the test.
func Find(t testing.TB, re *regexp.Regexp, page string) string {
	t.Helper()
	m := re.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no %s in page:\n%s", re, page)
	}
	return strings.ReplaceAll(m[1], "&amp;", "&")
}

// Microsoft walks Microsoft's sign-in pages from start — pick or type the
// account, enter the password, then "accept", "accept-org" (consent on
// behalf of the organization) or "cancel" — until the browser leaves the
// emulator, and returns that last response.
func (b *Browser) Microsoft(start, upn, password, decision string) *http.Response {
	t := b.T
	t.Helper()
	res, page := b.Get(start)
	for i := 0; i < 10; i++ {
		if !strings.HasPrefix(res.Request.URL.String(), b.MSURL) || res.StatusCode >= 300 {
			return res
		}
		action := Find(t, actionRe, page)
		v := url.Values{"flow": {Find(t, flowRe, page)}}
		switch {
		case strings.Contains(page, "Pick an account"):
			v.Set("step", "another")
			for _, m := range accountRe.FindAllStringSubmatch(page, -1) {
				if strings.EqualFold(strings.TrimSpace(m[2]), upn) {
					v.Set("step", "pick")
					v.Set("account", m[1])
				}
			}
		case strings.Contains(page, "Enter password"):
			v.Set("step", "password")
			v.Set("loginfmt", upn)
			v.Set("passwd", password)
		case strings.Contains(page, `name="loginfmt"`):
			v.Set("step", "username")
			v.Set("loginfmt", upn)
		case strings.Contains(page, "Permissions requested"), strings.Contains(page, "Need admin approval"):
			v.Set("step", "consent")
			v.Set("decision", strings.TrimSuffix(decision, "-org"))
			if strings.HasSuffix(decision, "-org") && strings.Contains(page, `name="org_consent"`) {
				v.Set("org_consent", "on")
			}
		default:
			t.Fatalf("unexpected Microsoft page:\n%s", page)
		}
		res, page = b.Post(action, v)
	}
	t.Fatal("too many Microsoft pages")
	return nil
}

// AdminSignIn signs in to the Microsoft 365 admin center.
func (b *Browser) AdminSignIn(upn, password string) {
	b.T.Helper()
	b.Post(b.MSURL+"/admin/signin", url.Values{"loginfmt": {upn}, "passwd": {password}, "next": {"/admin"}})
}

// AddMember adds a user to a group the way the guide tells a person to:
// Teams & groups > the group > Members > + Add members.
func (b *Browser) AddMember(groupID, upn string) {
	b.T.Helper()
	_, page := b.Get(b.MSURL + "/admin/groups/" + groupID)
	re := regexp.MustCompile(`<option value="([^"]+)">[^<]*\(` + regexp.QuoteMeta(upn) + `\)</option>`)
	id := Find(b.T, re, page)
	if res, _ := b.Post(b.MSURL+"/admin/groups/"+groupID+"/members", url.Values{"member": {id}}); res.StatusCode != http.StatusOK {
		b.T.Fatalf("add member: %d", res.StatusCode)
	}
}

// RemoveMember takes a user out of a group in the admin center.
func (b *Browser) RemoveMember(groupID, upn string) {
	b.T.Helper()
	_, page := b.Get(b.MSURL + "/admin/groups/" + groupID)
	re := regexp.MustCompile(`<td>` + regexp.QuoteMeta(upn) + `</td><td><form method="post" action="[^"]*/members/([^/"]+)/remove"`)
	m := re.FindStringSubmatch(page)
	if m == nil {
		b.T.Fatalf("no remove button for %s in:\n%s", upn, page)
	}
	if res, _ := b.Post(b.MSURL+"/admin/groups/"+groupID+"/members/"+m[1]+"/remove", url.Values{}); res.StatusCode != http.StatusOK {
		b.T.Fatalf("remove member: %d", res.StatusCode)
	}
}

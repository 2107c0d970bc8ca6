// Package config reads callrec's configuration from the environment once, so
// that flags can override it and constructors receive it as a plain struct.
package config

import (
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config holds every setting named in the outside contract (ARCHITECTURE.md).
type Config struct {
	DatabaseURL     string
	DataDir         string
	HTTPAddr        string
	SIPAddr         string
	RTPPorts        string
	BlobURL         string
	PublicURL       string
	MSLoginURL      string
	MSGraphURL      string
	MSTeamsAdminURL string
	SMTPURL         string
	LogLevel        string
	Roles           string
	SecureCookies   bool
	TermsVersion    int
	// MSClientID and MSClientSecret are callrec's Microsoft app registration.
	MSClientID     string
	MSClientSecret string
	// MSBotOpenIDURL publishes the keys that sign Teams calling notifications.
	MSBotOpenIDURL string
	// SIPRECTarget is the SIP URI the Teams media edge sends each recorded
	// call to (default sip:<media IP or localhost>:<SIP port>;transport=tcp).
	SIPRECTarget string
	// EncryptionKey (base64, 32 bytes) seals Microsoft tokens at rest; when
	// empty a key is generated into the data directory.
	EncryptionKey string
	// Node names this process on the call rows its recorder writes
	// (CALLREC_NODE, default the host name).
	Node string
	// MediaIP is the address the recorder binds RTP on and puts in SDP
	// answers (CALLREC_MEDIA_IP); empty means the SIP address's host, else
	// 127.0.0.1.
	MediaIP string
	// InternalURL is where other nodes reach this node's recorder spool
	// (CALLREC_INTERNAL_URL, default the public URL): a web node plays a
	// call not yet uploaded from the recorder node that holds it.
	InternalURL string
	// InternalAddr, when set, is where the node-to-node routes (spool
	// playback, live listen) listen instead of HTTPAddr
	// (CALLREC_INTERNAL_ADDR); CALLREC_INTERNAL_URL must then point there.
	InternalAddr string
	// MetricsAddr, when set, serves /metrics without authentication on its
	// own address (CALLREC_METRICS_ADDR) instead of behind a provider
	// token on HTTPAddr.
	MetricsAddr string
	// InternalSecret signs requests between nodes (CALLREC_INTERNAL_SECRET);
	// empty means a secret kept in the shared database.
	InternalSecret string
	// MaxCalls is the recorder's capacity (CALLREC_MAX_CALLS): past it an
	// INVITE gets 503 with Retry-After. The default, 1,000, is what a
	// 2-vCPU node records without loss (README, Benchmark).
	MaxCalls int
	// RTPTimeout ends and keeps a call whose RTP stopped this long
	// (CALLREC_RTP_TIMEOUT, a Go duration, default 60s).
	RTPTimeout time.Duration
	// SIPTrustedProxies are the SIP proxies (CALLREC_SIP_TRUSTED_PROXIES,
	// comma-separated IPs or CIDRs) whose requests the recorder attributes
	// to the SRC they name in X-Callrec-Source rather than to themselves.
	SIPTrustedProxies []netip.Prefix
	// sipTrustedProxies is the setting as given, parsed by Finish.
	sipTrustedProxies string
	// SignInPerIP and SignInPerLogin are the sign-in attempts per minute
	// (and burst) allowed per client address and per login, across
	// password, 2-step and reset requests (CALLREC_SIGNIN_PER_IP, default
	// 30; CALLREC_SIGNIN_PER_LOGIN, default 10).
	SignInPerIP, SignInPerLogin int
	// Encoders is how many threads compress recordings, for the recorder
	// and for the worker role each (CALLREC_ENCODERS, default 0: one per
	// CPU). They run at a lower priority than capture.
	Encoders int
	// EncodeOffload says when a recorder on PostgreSQL offers ended calls
	// to nodes with the worker role (CALLREC_ENCODE_OFFLOAD): "always",
	// "never", or how much audio may wait for its own encoders before it
	// does (a Go duration, default 2m). Finish parses it into
	// OffloadNever and OffloadBacklog.
	EncodeOffload  string
	OffloadNever   bool
	OffloadBacklog time.Duration
	// loadErr is a malformed number or duration in the environment,
	// reported by Finish.
	loadErr error
}

// Getenv is how Load reads the environment; tests pass a map lookup.
type Getenv func(string) string

// Load builds a Config from the environment with the documented defaults.
func Load(getenv Getenv) Config {
	c := Config{
		DataDir:         or(getenv("CALLREC_DATA_DIR"), "./data"),
		HTTPAddr:        or(getenv("CALLREC_HTTP_ADDR"), ":8080"),
		SIPAddr:         or(getenv("CALLREC_SIP_ADDR"), ":5080"),
		RTPPorts:        or(getenv("CALLREC_RTP_PORTS"), "20000-29999"),
		BlobURL:         getenv("CALLREC_BLOB_URL"),
		PublicURL:       getenv("CALLREC_PUBLIC_URL"),
		MSLoginURL:      or(getenv("CALLREC_MS_LOGIN_URL"), "https://login.microsoftonline.com"),
		MSGraphURL:      or(getenv("CALLREC_MS_GRAPH_URL"), "https://graph.microsoft.com"),
		MSTeamsAdminURL: or(getenv("CALLREC_MS_TEAMS_ADMIN_URL"), "https://api.interfaces.records.teams.microsoft.com"),
		SMTPURL:         getenv("CALLREC_SMTP_URL"),
		LogLevel:        or(getenv("CALLREC_LOG_LEVEL"), "info"),
		Roles:           or(getenv("CALLREC_ROLES"), "web,recorder,teamsbot,worker"),
		TermsVersion:    1,
	}
	c.DatabaseURL = getenv("CALLREC_DATABASE_URL")
	c.MSClientID, c.MSClientSecret = getenv("CALLREC_MS_CLIENT_ID"), getenv("CALLREC_MS_CLIENT_SECRET")
	c.EncryptionKey = getenv("CALLREC_ENCRYPTION_KEY")
	c.MSBotOpenIDURL = or(getenv("CALLREC_MS_BOT_OPENID_URL"), "https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration")
	c.SIPRECTarget = getenv("CALLREC_SIPREC_TARGET")
	c.Node, c.MediaIP = getenv("CALLREC_NODE"), getenv("CALLREC_MEDIA_IP")
	c.InternalURL, c.InternalSecret = getenv("CALLREC_INTERNAL_URL"), getenv("CALLREC_INTERNAL_SECRET")
	c.InternalAddr, c.MetricsAddr = getenv("CALLREC_INTERNAL_ADDR"), getenv("CALLREC_METRICS_ADDR")
	c.sipTrustedProxies = getenv("CALLREC_SIP_TRUSTED_PROXIES")
	if v, err := strconv.Atoi(getenv("CALLREC_TERMS_VERSION")); err == nil && v > 0 {
		c.TermsVersion = v
	}
	c.RTPTimeout = 60 * time.Second
	c.MaxCalls = c.number(getenv, "CALLREC_MAX_CALLS", 1000)
	c.Encoders = c.number(getenv, "CALLREC_ENCODERS", 0)
	c.EncodeOffload = or(getenv("CALLREC_ENCODE_OFFLOAD"), "2m")
	c.SignInPerIP = c.number(getenv, "CALLREC_SIGNIN_PER_IP", 30)
	c.SignInPerLogin = c.number(getenv, "CALLREC_SIGNIN_PER_LOGIN", 10)
	if v := getenv("CALLREC_RTP_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			c.loadErr = fmt.Errorf("config: CALLREC_RTP_TIMEOUT %q: a duration such as 60s", v)
		}
		c.RTPTimeout = d
	}
	c.SecureCookies = strings.HasPrefix(c.PublicURL, "https://")
	return c
}

// number reads a whole number from the environment, or def when unset; a
// malformed one is kept for Finish to report.
func (c *Config) number(getenv Getenv, name string, def int) int {
	v := getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		c.loadErr = fmt.Errorf("config: %s %q: a whole number", name, v)
	}
	return n
}

// RegisterFlags lets a subcommand's flags override the environment.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "database URL (sqlite://FILE or postgres://…)")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "data directory")
	fs.StringVar(&c.HTTPAddr, "http-addr", c.HTTPAddr, "HTTP listen address")
	fs.StringVar(&c.SIPAddr, "sip-addr", c.SIPAddr, "SIP listen address (UDP and TCP)")
	fs.StringVar(&c.RTPPorts, "rtp-ports", c.RTPPorts, "RTP port range")
	fs.StringVar(&c.BlobURL, "blob-url", c.BlobURL, "blob store URL (file://DIR or s3://BUCKET)")
	fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "public base URL of the portal")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error")
	fs.StringVar(&c.Node, "node", c.Node, "this node's name on call rows (default the host name)")
	fs.StringVar(&c.InternalAddr, "internal-addr", c.InternalAddr, "listen address of the node-to-node routes (default: on the HTTP address)")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", c.MetricsAddr, "listen address of an unauthenticated /metrics (default: /metrics on the HTTP address, provider token required)")
	fs.StringVar(&c.InternalURL, "internal-url", c.InternalURL, "base URL other nodes reach this node's recorder spool at (default the public URL)")
	fs.StringVar(&c.MediaIP, "media-ip", c.MediaIP, "IP address for RTP and SDP answers (default the SIP address's host, else 127.0.0.1)")
	fs.StringVar(&c.sipTrustedProxies, "sip-trusted-proxies", c.sipTrustedProxies, "SIP proxies (IPs or CIDRs, comma-separated) allowed to name the SRC in X-Callrec-Source")
	fs.IntVar(&c.MaxCalls, "max-calls", c.MaxCalls, "concurrent calls the recorder takes before answering 503")
	fs.DurationVar(&c.RTPTimeout, "rtp-timeout", c.RTPTimeout, "end (and keep) a call whose RTP stopped this long")
	fs.IntVar(&c.Encoders, "encoders", c.Encoders, "threads compressing recordings, at low priority (0: one per CPU)")
	fs.StringVar(&c.EncodeOffload, "encode-offload", c.EncodeOffload, "when a recorder on PostgreSQL offers calls to worker nodes: always, never, or audio waiting beyond a duration")
}

// Finish fills the defaults that depend on other settings, after flags.
func (c *Config) Finish() error {
	if c.loadErr != nil {
		return c.loadErr
	}
	if c.MaxCalls < 1 || c.MaxCalls > 100_000 {
		return fmt.Errorf("config: max calls %d: between 1 and 100000", c.MaxCalls)
	}
	if c.SignInPerIP < 1 || c.SignInPerLogin < 1 {
		return fmt.Errorf("config: sign-in limits %d per address, %d per login: at least 1 each", c.SignInPerIP, c.SignInPerLogin)
	}
	if c.RTPTimeout < time.Second || c.RTPTimeout > time.Hour {
		return fmt.Errorf("config: RTP timeout %v: between 1s and 1h", c.RTPTimeout)
	}
	if c.Encoders < 0 || c.Encoders > 1024 {
		return fmt.Errorf("config: encoders %d: between 0 (one per CPU) and 1024", c.Encoders)
	}
	if err := c.parseOffload(); err != nil {
		return err
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite://" + filepath.Join(c.DataDir, "callrec.db")
	}
	if c.BlobURL == "" {
		c.BlobURL = "file://" + filepath.Join(c.DataDir, "blobs")
	}
	if c.PublicURL == "" {
		host := c.HTTPAddr
		if strings.HasPrefix(host, ":") {
			host = "localhost" + host
		}
		c.PublicURL = "http://" + host
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.InternalURL == "" {
		c.InternalURL = c.PublicURL
	}
	c.InternalURL = strings.TrimRight(c.InternalURL, "/")
	if c.Node == "" {
		c.Node, _ = os.Hostname()
	}
	if c.MediaIP != "" {
		if _, err := netip.ParseAddr(c.MediaIP); err != nil {
			return fmt.Errorf("config: media IP %q: %w", c.MediaIP, err)
		}
	}
	c.SIPTrustedProxies = nil
	for _, v := range strings.Split(c.sipTrustedProxies, ",") {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		p, err := parsePrefix(v)
		if err != nil {
			return fmt.Errorf("config: SIP trusted proxy %q: an IP address or CIDR prefix", v)
		}
		c.SIPTrustedProxies = append(c.SIPTrustedProxies, p)
	}
	if c.SIPRECTarget == "" {
		host := c.MediaIP
		if host == "" {
			host = "127.0.0.1"
		}
		_, port, err := net.SplitHostPort(c.SIPAddr)
		if err != nil {
			return fmt.Errorf("config: SIP address %q: %w", c.SIPAddr, err)
		}
		c.SIPRECTarget = "sip:" + net.JoinHostPort(host, port) + ";transport=tcp"
	}
	c.SecureCookies = strings.HasPrefix(c.PublicURL, "https://")
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("config: unknown log level %q", c.LogLevel)
	}
	return nil
}

func (c *Config) parseOffload() error {
	switch c.EncodeOffload {
	case "never":
		c.OffloadNever = true
		return nil
	case "always":
		c.OffloadBacklog = 0
		return nil
	}
	d, err := time.ParseDuration(c.EncodeOffload)
	if err != nil || d <= 0 {
		return fmt.Errorf("config: encode offload %q: always, never, or a positive duration of audio such as 2m", c.EncodeOffload)
	}
	c.OffloadBacklog = d
	return nil
}

// parsePrefix reads an IP (as a one-address prefix) or a CIDR prefix.
func parsePrefix(v string) (netip.Prefix, error) {
	if !strings.Contains(v, "/") {
		a, err := netip.ParseAddr(v)
		if err != nil {
			return netip.Prefix{}, err
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(v)
	return p.Masked(), err
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// KnownRoles are the parts a node can run.
var KnownRoles = []string{"web", "recorder", "teamsbot", "worker"}

// CheckRoles refuses a role list naming anything but KnownRoles, or
// nothing at all: a typo must not start a node that silently runs less.
func CheckRoles(roles string) error {
	n := 0
	for _, r := range strings.Split(roles, ",") {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		if !slices.Contains(KnownRoles, r) {
			return fmt.Errorf("unknown role %q (want some of %s)", r, strings.Join(KnownRoles, ", "))
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("no role given (want some of %s)", strings.Join(KnownRoles, ", "))
	}
	return nil
}

// HasRole tells whether the node runs role.
func (c Config) HasRole(role string) bool {
	for _, r := range strings.Split(c.Roles, ",") {
		if strings.TrimSpace(r) == role {
			return true
		}
	}
	return false
}

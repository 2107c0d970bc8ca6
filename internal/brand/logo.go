package brand

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"strings"
)

// MaxLogoBytes bounds a logo upload.
const MaxLogoBytes = 256 << 10

// maxLogoPixels bounds a PNG's sides: the header shows it 32 px high.
const maxLogoPixels = 4096

// Logo types accepted.
const (
	TypePNG = "image/png"
	TypeSVG = "image/svg+xml"
)

// CheckLogo tells a logo's type from its bytes (never from what the
// upload claims) and refuses anything but a bounded PNG or a plain SVG.
func CheckLogo(data []byte) (string, error) {
	switch {
	case len(data) == 0:
		return "", errors.New("choose a PNG or SVG file")
	case len(data) > MaxLogoBytes:
		return "", errors.New("at most 256 KiB")
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		cfg, err := png.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return "", errors.New("not a readable PNG image")
		}
		if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxLogoPixels || cfg.Height > maxLogoPixels {
			return "", errors.New("a PNG of at most 4096×4096 pixels")
		}
		return TypePNG, nil
	}
	if err := checkSVG(data); err != nil {
		return "", err
	}
	return TypeSVG, nil
}

// checkSVG accepts an SVG only when it is drawing and nothing else: no
// scripts, event handlers, foreign content, entities, or references to
// anything outside the file. The portal also shows the logo only as an
// <img> (where browsers run no script) and serves it with a CSP that
// forbids scripts, so this refusal is the second of three locks.
func checkSVG(data []byte) error {
	bad := errors.New("a PNG, or an SVG drawing without scripts, event handlers, embedded HTML or external references")
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	root := true
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return bad
		}
		switch t := tok.(type) {
		case xml.Directive: // <!DOCTYPE …>, <!ENTITY …>
			return bad
		case xml.ProcInst:
			if t.Target != "xml" {
				return bad
			}
		case xml.StartElement:
			name := strings.ToLower(t.Name.Local)
			if root && name != "svg" {
				return bad
			}
			root = false
			if name == "script" || name == "foreignobject" || name == "iframe" || name == "object" || name == "embed" {
				return bad
			}
			for _, a := range t.Attr {
				if !safeAttr(a) {
					return bad
				}
			}
		}
	}
	if root {
		return bad
	}
	return nil
}

// safeAttr refuses event handlers and links out of the file; links inside
// it (#id) and embedded raster data stay.
func safeAttr(a xml.Attr) bool {
	name := strings.ToLower(a.Name.Local)
	if strings.HasPrefix(name, "on") {
		return false
	}
	v := strings.ToLower(strings.TrimSpace(a.Value))
	if name == "href" || name == "src" {
		return strings.HasPrefix(v, "#") || strings.HasPrefix(v, "data:image/png;") || strings.HasPrefix(v, "data:image/jpeg;")
	}
	if strings.Contains(v, "javascript:") || strings.Contains(v, "url(http") || strings.Contains(v, "url(//") {
		return false
	}
	return true
}

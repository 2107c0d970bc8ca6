package brand

import (
	"fmt"
	"math"
	"strconv"
)

// MinContrast is WCAG 2's AA ratio for normal text: the accent is both a
// background under white text (buttons) and a text colour on white
// (links), so it must reach this against white either way.
const MinContrast = 4.5

type rgb struct{ r, g, b float64 } // 0–255

func parseHex(s string) (rgb, bool) {
	if len(s) != 7 || s[0] != '#' {
		return rgb{}, false
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return rgb{}, false
	}
	return rgb{float64(v >> 16 & 0xff), float64(v >> 8 & 0xff), float64(v & 0xff)}, true
}

func (c rgb) hex() string {
	round := func(f float64) int { return int(math.Round(math.Max(0, math.Min(255, f)))) }
	return fmt.Sprintf("#%02x%02x%02x", round(c.r), round(c.g), round(c.b))
}

// luminance is WCAG 2's relative luminance.
func (c rgb) luminance() float64 {
	lin := func(v float64) float64 {
		v /= 255
		if v <= 0.04045 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.r) + 0.7152*lin(c.g) + 0.0722*lin(c.b)
}

// contrast is WCAG 2's contrast ratio of two colours (1–21).
func contrast(a, b rgb) float64 {
	la, lb := a.luminance(), b.luminance()
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

var white = rgb{255, 255, 255}

// mix moves c toward t by f (0: c, 1: t).
func mix(c, t rgb, f float64) rgb {
	return rgb{c.r + (t.r-c.r)*f, c.g + (t.g-c.g)*f, c.b + (t.b-c.b)*f}
}

// ContrastWithWhite is the accent's contrast ratio against white.
func ContrastWithWhite(hex string) (float64, bool) {
	c, ok := parseHex(hex)
	if !ok {
		return 0, false
	}
	return contrast(c, white), true
}

// Palette is the set of colours the portal derives from the accent.
type Palette struct {
	Accent string // buttons, links, the brand mark
	Strong string // hover: darker still
	Soft   string // tinted backgrounds (current navigation entry, notes)
}

// PaletteOf derives the palette from an accent already checked against
// MinContrast. The tint is the strongest, from 90 % white up, that keeps
// accent text on it at MinContrast too, so the current navigation entry
// stays readable.
func PaletteOf(hex string) Palette {
	c, ok := parseHex(hex)
	if !ok {
		c, _ = parseHex(DefaultAccent)
	}
	soft := white
	for f := 0.90; f <= 1.0; f += 0.01 {
		if t := mix(c, white, f); contrast(c, t) >= MinContrast {
			soft = t
			break
		}
	}
	black := rgb{}
	return Palette{Accent: c.hex(), Strong: mix(c, black, 0.18).hex(), Soft: soft.hex()}
}

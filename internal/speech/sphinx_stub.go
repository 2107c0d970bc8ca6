//go:build !pocketsphinx

package speech

// SphinxBuiltIn tells whether this binary carries pocketsphinx.
const SphinxBuiltIn = false

// NewSphinx answers ErrNotBuiltIn: this binary was built without the
// `pocketsphinx` tag (it needs cgo and libpocketsphinx-dev).
func NewSphinx(SphinxConfig) (Engine, error) { return nil, ErrNotBuiltIn }

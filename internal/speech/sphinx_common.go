package speech

// DefaultSphinxModel is where Debian's pocketsphinx-en-us puts the US
// English model (acoustic model en-us/, en-us.lm.bin, cmudict-en-us.dict).
const DefaultSphinxModel = "/usr/share/pocketsphinx/model/en-us"

// SphinxConfig locates the pocketsphinx model.
type SphinxConfig struct {
	// ModelDir holds en-us/, en-us.lm.bin and cmudict-en-us.dict;
	// empty means DefaultSphinxModel.
	ModelDir string
}

// Dir is the model directory in use.
func (c SphinxConfig) Dir() string {
	if c.ModelDir == "" {
		return DefaultSphinxModel
	}
	return c.ModelDir
}

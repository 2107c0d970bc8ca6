package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxBody bounds every JSON request body.
const maxBody = 1 << 20

// decode reads one JSON object into v, refusing unknown fields, wrong types,
// trailing data and bodies over maxBody, each with the field named.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return validationFailed(map[string]string{"body": "send Content-Type: application/json"})
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return validationFailed(map[string]string{"body": "one JSON object expected, found trailing data"})
	}
	return nil
}

func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return validationFailed(map[string]string{"body": fmt.Sprintf("larger than %d bytes", maxBody)})
	case errors.As(err, &syntax):
		return validationFailed(map[string]string{"body": fmt.Sprintf("malformed JSON at byte %d", syntax.Offset)})
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return validationFailed(map[string]string{field: "must be " + jsonKind(typ.Type.Kind().String())})
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return validationFailed(map[string]string{"body": "empty or truncated JSON"})
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return validationFailed(map[string]string{strings.Trim(name, `"`): "unknown field"})
	}
	return validationFailed(map[string]string{"body": "not valid JSON"})
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	case "ptr":
		return "a value of the right type"
	}
	return "a number"
}

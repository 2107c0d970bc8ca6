package integration

import (
	"encoding/json"
	"errors"

	"callrec/internal/teams"
)

func asAPI(err error, target **teams.APIError) bool { return errors.As(err, target) }

func decodeJSON(s string, v any) error {
	if s == "" {
		return nil
	}
	return json.Unmarshal([]byte(s), v)
}

func encodeJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	return string(b)
}

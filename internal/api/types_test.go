package api

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"callrec/internal/store"
)

// TestAnswersLeaveNoSecretOut: the API's own types carry none of the
// store's hidden fields (hashes, secrets, counters), and a new store column
// does not reach the contract unless an answer type names it.
func TestAnswersLeaveNoSecretOut(t *testing.T) {
	u := store.User{ID: "u", PasswordHash: "$argon2id$hash", PINHash: "$argon2id$pin", TOTPSecret: "sealed:x", FailedLogins: 3}
	tok := store.APIToken{ID: "t", Hash: "deadbeef"}
	for name, v := range map[string]any{"user": userJSON(u), "token": tokenJSON(tok)} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"argon2id", "sealed:", "deadbeef", "failed"} {
			if strings.Contains(string(b), secret) {
				t.Errorf("%s answer carries %q: %s", name, secret, b)
			}
		}
	}
	// Every answer type is the API's own: no store type embedded.
	for _, v := range []any{userOut{}, groupOut{}, tenantOut{}, sipSourceOut{}, tokenOut{}, auditOut{}, alertOut{}, providerAlertOut{},
		callOut{}, recordingOut{}, detailOut{}, noteOut{}, pauseOut{}, participantOut{}, mediaOut{}, poolOut{}} {
		checkOwn(t, reflect.TypeOf(v))
	}
}

func checkOwn(t *testing.T, typ reflect.Type) {
	t.Helper()
	for i := range typ.NumField() {
		f := typ.Field(i)
		ft := f.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.PkgPath() == "callrec/internal/store" {
			t.Errorf("%s.%s is a store type (%s)", typ.Name(), f.Name, ft.Name())
		}
		if f.Anonymous && ft.Kind() == reflect.Struct {
			checkOwn(t, ft)
		}
	}
}

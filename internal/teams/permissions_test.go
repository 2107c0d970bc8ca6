package teams

import "testing"

// The manifest requests exactly the permissions the consent check and the
// disconnect use: every application permission the check demands is a Role
// in the manifest.
func TestManifestCarriesEveryRequiredPermission(t *testing.T) {
	m := Manifest("callrec", "https://callrec.example.com/cb")
	got := map[string]string{}
	n := 0
	for _, r := range m.RequiredResourceAccess {
		for _, a := range r.ResourceAccess {
			got[r.ResourceAppID+"/"+a.Value] = a.Type
			n++
		}
	}
	if n != len(RequiredPermissions) {
		t.Fatalf("%d permissions in the manifest, %d required", n, len(RequiredPermissions))
	}
	for _, role := range RequiredAppRoles(GraphAppID) {
		if got[GraphAppID+"/"+role] != "Role" {
			t.Errorf("%s is not an application permission of the manifest", role)
		}
	}
	if got[TeamsAdminAppID+"/user_impersonation"] != "Scope" || m.SignInAudience != "AzureADMultipleOrgs" {
		t.Errorf("manifest %+v", m)
	}
}

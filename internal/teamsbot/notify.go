package teamsbot

import "strings"

// The commsNotification shapes callrec reads (Graph calling, [doc]); the
// emulator has its own copy of these, so a misreading cannot hide.

type notificationBatch struct {
	Value []notification `json:"value"`
}

type notification struct {
	ChangeType   string   `json:"changeType"`
	ResourceURL  string   `json:"resourceUrl"`
	ResourceData callData `json:"resourceData"`
}

type identitySet struct {
	User *struct {
		ID string `json:"id"`
	} `json:"user,omitempty"`
	Phone *struct {
		ID string `json:"id"`
	} `json:"phone,omitempty"`
	ApplicationInstance *struct {
		ID string `json:"id"`
	} `json:"applicationInstance,omitempty"`
}

type participantInfo struct {
	Identity identitySet `json:"identity"`
	ID       string      `json:"id"`
}

type resultInfo struct {
	Code    int    `json:"code"`
	Subcode int    `json:"subcode"`
	Message string `json:"message"`
}

type botSide struct {
	ID                  string `json:"id"`
	Phone               string `json:"phone"`
	ParticipationMethod string `json:"participationMethod"`
}

type callData struct {
	ODataType           string            `json:"@odata.type"`
	ID                  string            `json:"id"`
	State               string            `json:"state"`
	Direction           string            `json:"direction"`
	Source              *participantInfo  `json:"source"`
	Targets             []participantInfo `json:"targets"`
	TenantID            string            `json:"tenantId"`
	CallChainID         string            `json:"callChainId"`
	ResultInfo          *resultInfo       `json:"resultInfo"`
	ApplicationMetadata *struct {
		BotData *struct {
			User          botSide  `json:"user"`
			OtherSideUser botSide  `json:"otherSideUser"`
			InviteReasons []string `json:"inviteReasons"`
		} `json:"botData"`
	} `json:"applicationMetadata"`
}

// callID is the last segment of "/communications/calls/{id}".
func (n notification) callID() string {
	if n.ResourceData.ID != "" {
		return n.ResourceData.ID
	}
	i := strings.LastIndex(n.ResourceURL, "/")
	return n.ResourceURL[i+1:]
}

// observed is the AAD id of the user the policy records and whether they
// placed the call.
func (d callData) observed() (aadID string, caller bool) {
	if d.ApplicationMetadata != nil && d.ApplicationMetadata.BotData != nil {
		u := d.ApplicationMetadata.BotData.User
		if u.ID != "" {
			return u.ID, strings.EqualFold(u.ParticipationMethod, "caller")
		}
	}
	if d.Source != nil && d.Source.Identity.User != nil {
		return d.Source.Identity.User.ID, true
	}
	return "", false
}

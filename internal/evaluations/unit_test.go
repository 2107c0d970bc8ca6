package evaluations

import (
	"testing"
)

func TestAutoAnswer(t *testing.T) {
	tr := Transcript{Utterances: []Utterance{
		{Channel: ChannelOther, StartMS: 0, EndMS: 900, Text: "Thank you for calling Contoso"},
		{Channel: ChannelAgent, StartMS: 1000, EndMS: 2500, Text: "Hello! Thank you for"},
		{Channel: ChannelAgent, StartMS: 2600, EndMS: 4000, Text: "calling Contoso, I'm Megan."},
		{Channel: ChannelAgent, StartMS: 9000, EndMS: 9500, Text: "Is there anything else?"},
	}}
	for _, tc := range []struct {
		rule string
		said bool
		at   int64
	}{
		{"thank you for calling contoso", true, 1000}, // across two agent utterances
		{"THANK-YOU, for calling!", true, 1000},       // case and punctuation ignored
		{"I'm Megan", true, 2600},                     // apostrophe inside a word
		{"im megan", true, 2600},
		{"anything else", true, 9000},
		{"calling contoso megan", false, 0}, // words must be adjacent
		{"contoso calling", false, 0},       // and in order
		{"goodbye", false, 0},
		{"", false, 0},
		{"...", false, 0},
		{"thank", true, 1000}, // the other side said it first: only the agent counts
	} {
		got := AutoAnswer(tc.rule, tr)
		if got.Said != tc.said || got.AtMS != tc.at {
			t.Errorf("AutoAnswer(%q) = %+v, want said %v at %d", tc.rule, got, tc.said, tc.at)
		}
	}
	if got := AutoAnswer("thank you", Transcript{Utterances: []Utterance{{Channel: ChannelOther, Text: "thank you"}}}); got.Said {
		t.Error("the other channel's words answered for the agent")
	}
}

func iv(v int) *int { return &v }

func scoringForm() Definition {
	return Definition{Sections: []Section{{Title: "Opening", Questions: []Question{
		{ID: "greet", Text: "Greeted", Kind: YesNo, Weight: 1, Rule: "thank you for calling"},
		{ID: "tone", Text: "Tone", Kind: Scale5, Weight: 2, AllowNA: true},
		{ID: "nps", Text: "Resolution", Kind: Scale10, Weight: 1, AllowNA: true},
		{ID: "id", Text: "Verified identity", Kind: YesNo, Weight: 0, Critical: true},
	}}}}
}

func TestScore(t *testing.T) {
	d := scoringForm()
	for _, tc := range []struct {
		name    string
		answers []Answer
		want    Result
	}{
		{"all best", []Answer{{QuestionID: "greet", Value: iv(1)}, {QuestionID: "tone", Value: iv(5)}, {QuestionID: "nps", Value: iv(10)}, {QuestionID: "id", Value: iv(1)}}, Result{Score: 100}},
		// (1*1 + 2*0.5 + 1*0.7) / 4 = 0.675
		{"weighted", []Answer{{QuestionID: "greet", Value: iv(1)}, {QuestionID: "tone", Value: iv(3)}, {QuestionID: "nps", Value: iv(7)}, {QuestionID: "id", Value: iv(1)}}, Result{Score: 67.5}},
		// N/A leaves the weight out: (0*1 + 1*1) / 2
		{"n/a excluded", []Answer{{QuestionID: "greet", Value: iv(0)}, {QuestionID: "tone", NA: true}, {QuestionID: "nps", Value: iv(10)}, {QuestionID: "id", Value: iv(1)}}, Result{Score: 50}},
		{"critical failed", []Answer{{QuestionID: "greet", Value: iv(1)}, {QuestionID: "tone", Value: iv(5)}, {QuestionID: "nps", Value: iv(10)}, {QuestionID: "id", Value: iv(0)}}, Result{Score: 0, CriticalFailed: true}},
		{"nothing weighted", []Answer{{QuestionID: "greet", Value: iv(1)}}, Result{Score: 100}},
	} {
		if tc.name == "nothing weighted" {
			tc.want = Result{Score: 100} // greet alone carries weight 1
		}
		if got := Score(d, tc.answers); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestCheckAnswers(t *testing.T) {
	d := scoringForm()
	at := int64(5000)
	far := int64(99_000)
	ok := []Answer{{QuestionID: "greet", Value: iv(1), AtMS: &at}, {QuestionID: "tone", NA: true}, {QuestionID: "nps", Value: iv(0)}, {QuestionID: "id", Value: iv(1)}}
	if errs := checkAnswers(d, ok, 60_000, false); len(errs) > 0 {
		t.Fatalf("valid answers refused: %v", errs)
	}
	for _, tc := range []struct {
		name    string
		answers []Answer
		auto    bool
		field   string
	}{
		{"missing", ok[1:], false, "answers.greet"},
		{"rule left to the transcript", ok[1:], true, ""},
		{"out of range", []Answer{ok[0], {QuestionID: "tone", Value: iv(6)}, ok[2], ok[3]}, false, "answers[1].value"},
		{"scale_5 has no 0", []Answer{ok[0], {QuestionID: "tone", Value: iv(0)}, ok[2], ok[3]}, false, "answers[1].value"},
		{"n/a not allowed", []Answer{ok[0], ok[1], ok[2], {QuestionID: "id", NA: true}}, false, "answers[3].value"},
		{"unknown question", append([]Answer{{QuestionID: "nope", Value: iv(1)}}, ok...), false, "answers[0].question_id"},
		{"twice", append(append([]Answer{}, ok...), ok[0]), false, "answers[4].question_id"},
		{"after the call", []Answer{{QuestionID: "greet", Value: iv(1), AtMS: &far}, ok[1], ok[2], ok[3]}, false, "answers[0].at_ms"},
	} {
		errs := checkAnswers(d, tc.answers, 60_000, tc.auto)
		if tc.field == "" && len(errs) > 0 || tc.field != "" && errs[tc.field] == "" {
			t.Errorf("%s: errors %v, want one on %q", tc.name, errs, tc.field)
		}
	}
}

func TestValidateForm(t *testing.T) {
	good := scoringForm()
	good.normalize()
	if errs := validateForm("Basics", good); len(errs) > 0 {
		t.Fatalf("valid form refused: %v", errs)
	}
	mut := func(f func(d *Definition)) Definition {
		d := scoringForm()
		d.Sections = append([]Section{}, d.Sections...)
		d.Sections[0].Questions = append([]Question{}, d.Sections[0].Questions...)
		f(&d)
		return d
	}
	many := Definition{}
	for range MaxSections + 1 {
		many.Sections = append(many.Sections, Section{Title: "s", Questions: []Question{{ID: "x", Text: "x", Kind: YesNo, Weight: 1}}})
	}
	for _, tc := range []struct {
		name  string
		form  string
		d     Definition
		field string
	}{
		{"no name", "", good, "name"},
		{"empty form", "F", Definition{}, "sections"},
		{"empty section", "F", Definition{Sections: []Section{{Title: "A"}}}, "sections[0].questions"},
		{"negative weight", "F", mut(func(d *Definition) { d.Sections[0].Questions[1].Weight = -1 }), "sections[0].questions[1].weight"},
		{"no weight at all", "F", mut(func(d *Definition) {
			for i := range d.Sections[0].Questions {
				d.Sections[0].Questions[i].Weight = 0
			}
		}), "sections"},
		{"bad kind", "F", mut(func(d *Definition) { d.Sections[0].Questions[1].Kind = "stars" }), "sections[0].questions[1].kind"},
		{"rule on a scale", "F", mut(func(d *Definition) { d.Sections[0].Questions[1].Rule = "hello" }), "sections[0].questions[1].rule"},
		{"duplicate id", "F", mut(func(d *Definition) { d.Sections[0].Questions[1].ID = "greet" }), "sections[0].questions[1].id"},
		{"no text", "F", mut(func(d *Definition) { d.Sections[0].Questions[0].Text = "" }), "sections[0].questions[0].text"},
		{"too many sections", "F", many, "sections"},
	} {
		tc.d.normalize()
		if errs := validateForm(tc.form, tc.d); errs[tc.field] == "" {
			t.Errorf("%s: errors %v, want one on %q", tc.name, errs, tc.field)
		}
	}
}

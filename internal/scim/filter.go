package scim

import (
	elim "github.com/elimity-com/scim"
	scimfilter "github.com/elimity-com/scim/filter"
	"github.com/elimity-com/scim/schema"
	parser "github.com/scim2/filter-parser/v2"
)

// matcher returns the test a resource must pass for the list request's
// filter (nil: no filter). The library's evaluator panics on a complex
// attribute compared without a sub-attribute, which RFC 7644 §3.4.2.2 reads
// as its "value", and misses sub-attributes of multi-valued ones, so
// emails co "x" and emails.value co "x" are rewritten to the value path
// emails[value co "x"] it handles; it runs under recover all the same.
func matcher(p elim.ListRequestParams, schemas []schema.Schema) func(map[string]any) bool {
	if p.FilterValidator == nil {
		return nil
	}
	expr := valueOfComplex(p.FilterValidator.GetFilter(), schemas)
	core := schemas[0]
	core.Attributes = append(append(schema.Attributes{}, core.Attributes...), schema.CommonAttributes()...)
	v := scimfilter.NewFilterValidator(expr, core, schemas[1:]...)
	return func(m map[string]any) (ok bool) {
		defer func() {
			if recover() != nil {
				ok = false
			}
		}()
		return v.PassesFilter(flatten(m)) == nil
	}
}

func valueOfComplex(e parser.Expression, schemas []schema.Schema) parser.Expression {
	switch e := e.(type) {
	case *parser.AttributeExpression:
		a, ok := findAttr(schemas, e.AttributePath.AttributeName)
		if !ok || a.AttributeType() != "complex" || !a.MultiValued() || e.AttributePath.URIPrefix != nil {
			return e
		}
		sub := e.AttributePath.SubAttributeName()
		if sub == "" {
			sub = "value"
		}
		if _, ok := a.SubAttributes().ContainsAttribute(sub); !ok {
			return e
		}
		inner := *e
		inner.AttributePath = parser.AttributePath{AttributeName: sub}
		return &parser.ValuePath{AttributePath: parser.AttributePath{AttributeName: e.AttributePath.AttributeName}, ValueFilter: &inner}
	case *parser.LogicalExpression:
		c := *e
		c.Left, c.Right = valueOfComplex(e.Left, schemas), valueOfComplex(e.Right, schemas)
		return &c
	case *parser.NotExpression:
		c := *e
		c.Expression = valueOfComplex(e.Expression, schemas)
		return &c
	}
	return e
}

// flatten adds each extension attribute under its full name
// ("urn:…:User:licenses"), where the evaluator looks for it.
func flatten(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+4)
	for k, v := range m {
		out[k] = v
		if sub, ok := v.(map[string]any); ok && len(k) > 4 && k[:4] == "urn:" {
			for sk, sv := range sub {
				out[k+":"+sk] = sv
			}
		}
	}
	return out
}

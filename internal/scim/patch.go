package scim

import (
	"fmt"
	"net/http"
	"strings"

	elim "github.com/elimity-com/scim"
	scimerr "github.com/elimity-com/scim/errors"
	scimfilter "github.com/elimity-com/scim/filter"
	"github.com/elimity-com/scim/schema"
)

// applyPatch applies RFC 7644 §3.5.2 operations, already validated by the
// library against the schemas, to a resource's attributes as GET returns
// them. The patched attributes are then stored as a PUT would store them,
// so a PATCH and a PUT go through one mapping and one account call.
func applyPatch(attrs map[string]any, ops []elim.PatchOperation, schemas ...schema.Schema) error {
	for _, op := range ops {
		if op.Path == nil {
			vals, ok := op.Value.(map[string]any)
			if !ok || op.Op == elim.PatchOperationRemove {
				return noTarget("an operation without a path needs an object value")
			}
			for k, v := range vals {
				if ext, ok := v.(map[string]any); ok && isExtension(k, schemas) {
					into := subMap(attrs, k)
					for ek, ev := range ext {
						setAttr(into, ek, ev, op.Op, multi(schemas, k, ek))
					}
					continue
				}
				name, sub, _ := strings.Cut(k, ".")
				if sub != "" {
					setAttr(subMap(attrs, name), sub, v, op.Op, false)
					continue
				}
				setAttr(attrs, k, v, op.Op, multi(schemas, "", k))
			}
			continue
		}
		if err := applyPath(attrs, op, schemas); err != nil {
			return err
		}
	}
	return nil
}

func applyPath(attrs map[string]any, op elim.PatchOperation, schemas []schema.Schema) error {
	p := op.Path
	target := attrs
	uri := p.AttributePath.URI()
	if uri != "" && isExtension(uri, schemas) {
		target = subMap(attrs, uri)
	}
	name, sub := p.AttributePath.AttributeName, p.AttributePath.SubAttributeName()
	if p.ValueExpression != nil {
		return applyFiltered(target, op, name, schemas)
	}
	if sub != "" {
		m := subMap(target, name)
		if op.Op == elim.PatchOperationRemove {
			delete(m, sub)
			return nil
		}
		m[sub] = op.Value
		return nil
	}
	if op.Op == elim.PatchOperationRemove {
		delete(target, name)
		return nil
	}
	setAttr(target, name, op.Value, op.Op, multi(schemas, uri, name))
	return nil
}

// applyFiltered acts on the elements of a multi-valued attribute that match
// a value filter, such as members[value eq "…"] or emails[type eq "work"].value.
func applyFiltered(target map[string]any, op elim.PatchOperation, name string, schemas []schema.Schema) error {
	attr, ok := findAttr(schemas, name)
	if !ok || !attr.MultiValued() {
		return scimerr.ScimErrorInvalidPath
	}
	v := scimfilter.NewFilterValidator(op.Path.ValueExpression, schema.Schema{Attributes: attr.SubAttributes()})
	list, _ := target[name].([]any)
	sub := op.Path.SubAttributeName()
	kept := list[:0:0]
	matched := false
	for _, el := range list {
		m, ok := el.(map[string]any)
		if !ok || v.PassesFilter(m) != nil {
			kept = append(kept, el)
			continue
		}
		matched = true
		switch {
		case op.Op == elim.PatchOperationRemove && sub == "":
			continue
		case op.Op == elim.PatchOperationRemove:
			delete(m, sub)
		case sub != "":
			m[sub] = op.Value
		default:
			if nv, ok := op.Value.(map[string]any); ok {
				for k, x := range nv {
					m[k] = x
				}
			}
		}
		kept = append(kept, m)
	}
	if !matched && op.Op != elim.PatchOperationRemove {
		return noTarget(fmt.Sprintf("no %s value matches the filter", name))
	}
	target[name] = kept
	return nil
}

// setAttr adds or replaces one attribute; "add" on a multi-valued attribute
// appends the values that are not there yet (RFC 7644 §3.5.2.1).
func setAttr(m map[string]any, name string, v any, op string, multiValued bool) {
	if !multiValued || op != elim.PatchOperationAdd {
		m[name] = v
		return
	}
	have, _ := m[name].([]any)
	add, ok := v.([]any)
	if !ok {
		add = []any{v}
	}
	for _, x := range add {
		if !containsValue(have, x) {
			have = append(have, x)
		}
	}
	m[name] = have
}

func containsValue(list []any, x any) bool {
	for _, y := range list {
		if fmt.Sprint(valueOf(y)) == fmt.Sprint(valueOf(x)) {
			return true
		}
	}
	return false
}

// valueOf is a multi-valued element's identity: its "value" sub-attribute
// if complex, else itself.
func valueOf(x any) any {
	if m, ok := x.(map[string]any); ok {
		return m["value"]
	}
	return x
}

func subMap(m map[string]any, key string) map[string]any {
	if s, ok := m[key].(map[string]any); ok {
		return s
	}
	s := map[string]any{}
	m[key] = s
	return s
}

func isExtension(id string, schemas []schema.Schema) bool {
	for _, s := range schemas[1:] {
		if strings.EqualFold(s.ID, id) {
			return true
		}
	}
	return false
}

func findAttr(schemas []schema.Schema, name string) (schema.CoreAttribute, bool) {
	for _, s := range schemas {
		if a, ok := s.Attributes.ContainsAttribute(name); ok {
			return a, true
		}
	}
	return schema.CoreAttribute{}, false
}

// multi reports whether name (in the extension uri, or in the core schema
// when uri is "") is multi-valued.
func multi(schemas []schema.Schema, uri, name string) bool {
	for i, s := range schemas {
		if (uri == "" && i == 0) || strings.EqualFold(s.ID, uri) {
			if a, ok := s.Attributes.ContainsAttribute(name); ok {
				return a.MultiValued()
			}
		}
	}
	return false
}

func noTarget(detail string) scimerr.ScimError {
	return scimerr.ScimError{ScimType: scimerr.ScimTypeNoTarget, Status: http.StatusBadRequest, Detail: detail}
}

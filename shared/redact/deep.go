package redact

import (
	"fmt"
	"reflect"
)

// Strings returns a deep copy of v in which every string is scrubbed (Scrub): the strings of
// its struct fields (exported ones; unexported fields are copied as they are), of the values
// its pointers, slices, arrays and maps hold, and the string keys of its maps. Where two keys of
// a map scrub to the same key, the greater value is kept, so the result does not depend on the
// map's order. v itself is not modified.
//
// It is how a whole record is kept free of stream keys whatever field one hides in: a channel
// name shaped like a stream key (sk_<region>_..., which IVS's name pattern allows), a reason, an
// encoder string, a tag.
func Strings[T any](v T) T {
	rv := reflect.ValueOf(&v).Elem()
	out := reflect.New(rv.Type()).Elem()
	deepScrub(out, rv)
	return out.Interface().(T)
}

// deepScrub sets dst (settable, of src's type) to a scrubbed deep copy of src.
func deepScrub(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.String:
		dst.SetString(Scrub(src.String()))
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		p := reflect.New(src.Type().Elem())
		deepScrub(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Interface:
		if src.IsNil() {
			return
		}
		c := reflect.New(src.Elem().Type()).Elem()
		deepScrub(c, src.Elem())
		dst.Set(c)
	case reflect.Struct:
		dst.Set(src) // unexported fields (time.Time's, say) as they are
		t := src.Type()
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				deepScrub(dst.Field(i), src.Field(i))
			}
		}
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			deepScrub(s.Index(i), src.Index(i))
		}
		dst.Set(s)
	case reflect.Array:
		for i := range src.Len() {
			deepScrub(dst.Index(i), src.Index(i))
		}
	case reflect.Map:
		if src.IsNil() {
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		for it := src.MapRange(); it.Next(); {
			k := reflect.New(src.Type().Key()).Elem()
			deepScrub(k, it.Key())
			val := reflect.New(src.Type().Elem()).Elem()
			deepScrub(val, it.Value())
			if old := m.MapIndex(k); old.IsValid() && !greater(val, old) {
				continue
			}
			m.SetMapIndex(k, val)
		}
		dst.Set(m)
	default:
		dst.Set(src)
	}
}

// greater orders two map values that collided on a scrubbed key: strings by value, anything
// else by its printed form.
func greater(a, b reflect.Value) bool {
	if a.Kind() == reflect.String {
		return a.String() > b.String()
	}
	return fmt.Sprintf("%#v", a.Interface()) > fmt.Sprintf("%#v", b.Interface())
}

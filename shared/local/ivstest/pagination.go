package ivstest

import (
	"encoding/base64"
	"sort"
	"strings"
)

// page returns the page of items (sorted by key ascending, the order they are listed in) that
// follows the position encoded in token, at most max items (default 100), and the token of
// the next page. Tokens encode the key of the last item listed, so a page never repeats or
// skips an item when others are added or removed in between. A token that was not issued by
// the server is a ValidationException.
func page[T any](items []T, key func(T) string, token *string, max *int) ([]T, *string, error) {
	sort.Slice(items, func(i, j int) bool { return key(items[i]) < key(items[j]) })
	start := 0
	if token != nil && *token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(*token)
		cursor, ok := strings.CutPrefix(string(raw), tokenPrefix)
		if err != nil || !ok {
			return nil, nil, newError(CodeValidation, "The nextToken is invalid: %s", *token)
		}
		start = sort.Search(len(items), func(i int) bool { return key(items[i]) > cursor })
	}
	size := maxPageSize
	if max != nil {
		size = *max
	}
	end := min(start+size, len(items))
	out := items[start:end]
	if end >= len(items) || len(out) == 0 {
		return out, nil, nil
	}
	next := base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + key(out[len(out)-1])))
	return out, &next, nil
}

// tokenPrefix marks the tokens the server issues.
const tokenPrefix = "ivstest:"

// Package eventpattern matches JSON events against Amazon EventBridge event patterns, so the local
// event bus routes with exactly the patterns the CDK app deploys (quamina, the reference matcher,
// is not available here).
//
// It implements the content filters EventBridge documents
// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html):
// exact string, number, boolean and null values; nested objects; prefix and suffix (each
// optionally with equals-ignore-case); equals-ignore-case; anything-but (a value, a list, or a
// prefix, suffix, equals-ignore-case or wildcard); numeric ranges; exists; wildcard; cidr; and
// $or at any level.
//
// Semantics, as EventBridge defines them:
//   - every field of a pattern must match (AND); the values listed for a field are alternatives (OR);
//   - when the event holds an array, the field matches if any element matches; an array of
//     objects is matched element by element, so the fields of one match come from one element;
//   - a field the event lacks matches only {"exists": false}; anything-but needs the field;
//   - exists, like every filter, applies to leaf values: an object is not a leaf, so
//     {"exists": true} does not match a field whose value is an object;
//   - numbers match by value (3, 3.0 and 3e0 are equal); a string never matches a number.
//
// A compiled Pattern is immutable and safe for concurrent use.
package eventpattern

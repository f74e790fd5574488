// Package eventpattern matches JSON events against Amazon EventBridge event patterns, so the local
// event bus routes with exactly the patterns the CDK app deploys (quamina, the reference matcher,
// is not available here).
//
// It implements what the suite's deployed patterns use (suite.Routes, built from
// ivsevent.Pattern) and nothing more: nested objects, lists of exact string values, and the
// exists filter ({"exists": false} keeps replayed events away from the notification rules).
// Compile refuses every other filter (prefix, anything-but, numeric, $or, a number or a boolean
// value...) with a *PatternError, so a pattern that would need one fails where it is compiled
// instead of routing wrongly.
//
// Semantics, as EventBridge documents them
// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html,
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html):
//   - the event must contain every field the pattern names, with the same nesting (AND);
//   - the values listed for a field are alternatives (OR); a value matches exactly, character by
//     character and case-sensitively;
//   - when the event holds an array, the field matches if any element matches (the intersection
//     of the two arrays is not empty); an array of objects is matched element by element, so the
//     fields of one match come from one element;
//   - a string matches only a string: never a number, a boolean, null or an object;
//   - [{"exists": true}] matches a field that is present (whatever its value), [{"exists": false}]
//     one that is absent, including one whose enclosing object is absent.
//
// A compiled Pattern is immutable and safe for concurrent use.
package eventpattern

// Package suite holds the facts that the functions, the CDK app and the local stack must agree
// on, each defined once: the function names, the event buses and the rules that route events to
// each function (with their patterns), the events the suite publishes, the environment variables
// each function reads, the metric names and the IVS quotas the deployment is sized for.
//
// All values are constants or read-only after init; the package is safe for concurrent use.
package suite

// Package metrics counts what the functions do and writes the counts to standard output in
// CloudWatch Embedded Metric Format (EMF), which Lambda turns into CloudWatch metrics without an
// API call. https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
//
// A Recorder is safe for concurrent use. Metric and dimension names come from shared/suite, so
// the dashboard and alarms of the CDK app read exactly what the functions write.
package metrics

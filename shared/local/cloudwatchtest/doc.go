// Package cloudwatchtest is a local Amazon CloudWatch metrics store that answers GetMetricData
// and PutMetricData on the wire protocol github.com/aws/aws-sdk-go-v2/service/cloudwatch
// (v1.75) speaks: Smithy RPC v2 CBOR (POST /service/GraniteServiceVersion20100801/operation/<Op>,
// Content-Type application/cbor, Smithy-Protocol rpc-v2-cbor), encoded and decoded with
// smithy-go's CBOR codec (github.com/aws/smithy-go/encoding/cbor). The real SDK client is
// pointed at it with BaseEndpoint (or AWS_ENDPOINT_URL_CLOUDWATCH) and anonymous credentials.
//
// The broadcast simulator (ivstest) puts the series IVS would publish (Put); functions read them
// with GetMetricData: datapoints are aggregated per period (Average, Sum, Minimum, Maximum,
// SampleCount), scanned in either order, of the unit a query names (MetricStat.Unit: only the data
// put with that unit, as CloudWatch does, which converts nothing; no unit: all of it), paginated past MaxDatapoints with NextToken (results
// cut short say PartialData), and only visible Options.Delay after their timestamp, as
// CloudWatch's are a little after the fact. Errors have CloudWatch's shape: a CBOR body with
// __type and message and the X-Amzn-Query-Error header of a query-compatible service, so the
// SDK returns its typed errors (*types.InvalidParameterValueException, ...).
//
// Validation follows the API reference: 1 to 500 queries with unique IDs that start with a
// lowercase letter, StartTime before EndTime, periods of 1, 5, 10, 30 or a multiple of 60
// seconds. Retention (1 s data kept 3 h, ...) is not simulated: series are kept as put.
//
// GetMetricData: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
// RPC v2 CBOR: https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html
//
// A Server is safe for concurrent use.
package cloudwatchtest

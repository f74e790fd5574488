package main

import (
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ivs/types"
	"github.com/aws/smithy-go"
)

// ivsReason returns what the local IVS said when it refused a call: the error code and its
// exceptionMessage (the SDK's own message of an IVS error is empty).
func ivsReason(err error) string {
	var (
		ve *types.ValidationException
		ce *types.ConflictException
		nf *types.ResourceNotFoundException
		sq *types.ServiceQuotaExceededException
	)
	msg := ""
	switch {
	case errors.As(err, &ve):
		msg = aws.ToString(ve.ExceptionMessage)
	case errors.As(err, &ce):
		msg = aws.ToString(ce.ExceptionMessage)
	case errors.As(err, &nf):
		msg = aws.ToString(nf.ExceptionMessage)
	case errors.As(err, &sq):
		msg = aws.ToString(sq.ExceptionMessage)
	}
	var api smithy.APIError
	if !errors.As(err, &api) {
		return err.Error()
	}
	if msg == "" {
		msg = api.ErrorMessage()
	}
	if msg == "" {
		return api.ErrorCode()
	}
	return api.ErrorCode() + ": " + msg
}

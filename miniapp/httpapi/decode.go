package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// Decode reads exactly one JSON object from the request body into v,
// refusing trailing data and values of the wrong type, each with a message
// that says what to fix. Strict also refuses unknown fields (the merchant
// API: a misspelt field would otherwise be silently ignored); the Mini App
// takes what wallets send, which may grow fields.
func Decode(c echo.Context, v any, strict bool) error {
	dec := json.NewDecoder(c.Request().Body)
	if strict {
		dec.DisallowUnknownFields()
	}
	err := dec.Decode(v)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("trailing data")
	}
	if err == nil {
		return nil
	}
	var tooLarge *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooLarge):
		return Err(http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("request body is over %d bytes", tooLarge.Limit))
	case errors.Is(err, io.EOF):
		return BadRequest(CodeBadRequest, "request body is empty; send one JSON object")
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return BadRequestf(CodeBadRequest, "%s must be a %s", typeErr.Field, kind(typeErr.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return BadRequestf(CodeBadRequest, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return BadRequest(CodeBadRequest, "the body must be one JSON object")
}

func kind(k string) string {
	switch {
	case k == "string":
		return "string"
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"):
		return "whole number"
	}
	return k
}

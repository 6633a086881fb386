// Package apperr is Postdesk's one error vocabulary: domain code returns an *Error with a code and a
// message the user can act on; the web layer maps the code to an HTTP status once (see Status).
package apperr

import (
	"errors"
	"fmt"
	"net/http"
)

// Code classifies an error for the person who caused it.
type Code string

const (
	Invalid      Code = "invalid"      // the input is wrong; the message says how
	NotFound     Code = "not_found"    // no such record, or not one this user may see
	Conflict     Code = "conflict"     // the record changed, or the action is not allowed in its state
	Forbidden    Code = "forbidden"    // the user lacks the permission
	Unauthorized Code = "unauthorized" // not logged in
	TooMany      Code = "too_many"     // rate limited or locked out
	TooLarge     Code = "too_large"    // the request body is over the route's limit; the message says it
	Internal     Code = "internal"     // our fault; logged with context, shown as "internal error"
)

// Error is a domain error. Message is a translation key: web.ErrorHandler shows it in the user's language.
type Error struct {
	Code    Code
	Message string
	// Field names the form field the error belongs to, when there is one.
	Field string
	// Args fill the message's placeholders in the translation catalogue.
	Args map[string]any
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// New makes an error with a code and a message (a translation key or plain text).
func New(code Code, msg string) *Error { return &Error{Code: code, Message: msg} }

// Errorf makes an error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// InvalidField says which field is wrong and why.
func InvalidField(field, msg string) *Error {
	return &Error{Code: Invalid, Message: msg, Field: field}
}

// CodeOf returns the code of err, Internal for anything that is not an *Error.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// MessageOf returns the message to show the user: never an internal error's text.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != Internal {
		return e.Message
	}
	return "error.internal"
}

// Status maps a code to its HTTP status.
func Status(code Code) int {
	switch code {
	case Invalid:
		return http.StatusUnprocessableEntity
	case NotFound:
		return http.StatusNotFound
	case Conflict:
		return http.StatusConflict
	case Forbidden:
		return http.StatusForbidden
	case Unauthorized:
		return http.StatusUnauthorized
	case TooMany:
		return http.StatusTooManyRequests
	case TooLarge:
		return http.StatusRequestEntityTooLarge
	default:
		return http.StatusInternalServerError
	}
}

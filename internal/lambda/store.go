package lambda

import (
	"context"
	"errors"
)

// ErrCodeNotFound is returned by Store.Code for a digest that is not stored.
var ErrCodeNotFound = errors.New("code not found")

// Store is the durable home of functions and their code. The service keeps a
// full copy of the functions in memory and writes through to the store before
// it acknowledges any change, so every method that writes must have made the
// change durable (fsync'd) when it returns nil, and must leave the previous
// state intact when it returns an error.
//
// Implementations must be safe for concurrent use.
type Store interface {
	// LoadFunctions returns every stored function of every scope, in any order.
	LoadFunctions(ctx context.Context) ([]*Function, error)
	// SaveFunction stores fn, replacing any function with the same scope and name.
	SaveFunction(ctx context.Context, fn *Function) error
	// DeleteFunction removes the named function; deleting a missing one is not an error.
	DeleteFunction(ctx context.Context, scope Scope, name string) error

	// PutCode stores a deployment package under its digest (the base64
	// SHA-256 as AWS reports it). Storing the same digest twice is not an error.
	PutCode(ctx context.Context, digest string, zip []byte) error
	// Code returns the package stored under digest, or ErrCodeNotFound.
	Code(ctx context.Context, digest string) ([]byte, error)
	// CodeDigests lists the digests of all stored packages.
	CodeDigests(ctx context.Context) ([]string, error)
	// DeleteCode removes a package; deleting a missing one is not an error.
	DeleteCode(ctx context.Context, digest string) error

	// LoadLayers returns every stored layer of every scope, in any order.
	LoadLayers(ctx context.Context) ([]*Layer, error)
	// SaveLayer stores l with all its versions, replacing any layer with
	// the same scope and name.
	SaveLayer(ctx context.Context, l *Layer) error

	// SaveAsyncEvent stores ev under its RequestID, replacing an earlier
	// state of the same event.
	SaveAsyncEvent(ctx context.Context, ev AsyncEvent) error
	// DeleteAsyncEvent removes an event; deleting a missing one is not an error.
	DeleteAsyncEvent(ctx context.Context, requestID string) error
	// LoadAsyncEvents returns every stored event, in any order.
	LoadAsyncEvents(ctx context.Context) ([]AsyncEvent, error)

	Close() error
}

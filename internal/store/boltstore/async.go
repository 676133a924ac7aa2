package boltstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// SaveAsyncEvent stores ev under its request ID, replacing an earlier state.
func (s *Store) SaveAsyncEvent(ctx context.Context, ev lambda.AsyncEvent) error {
	key, err := makeKey(ev.RequestID)
	if err != nil {
		return fmt.Errorf("save async event %q: %w", ev.RequestID, err)
	}
	value, err := json.Marshal(asyncToRecord(ev))
	if err != nil {
		return fmt.Errorf("save async event %s: encode: %w", key, err)
	}
	err = s.put(ctx, bucketAsync, key, value)
	if err != nil {
		return fmt.Errorf("save async event %s: %w", key, err)
	}
	return nil
}

// DeleteAsyncEvent removes an event; a missing one is not an error.
func (s *Store) DeleteAsyncEvent(ctx context.Context, requestID string) error {
	key, err := makeKey(requestID)
	if err != nil {
		return fmt.Errorf("delete async event %q: %w", requestID, err)
	}
	err = s.remove(ctx, bucketAsync, key)
	if err != nil {
		return fmt.Errorf("delete async event %s: %w", key, err)
	}
	return nil
}

// LoadAsyncEvents returns every stored event, ordered by request ID.
func (s *Store) LoadAsyncEvents(ctx context.Context) ([]lambda.AsyncEvent, error) {
	return loadAll(s, ctx, bucketAsync, "async event",
		func(r asyncRecord) ([]byte, error) { return []byte(r.RequestID), nil }, asyncRecord.toDomain)
}

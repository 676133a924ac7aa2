package boltstore

import (
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

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
	events := []lambda.AsyncEvent{}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketAsync)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			var rec asyncRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("decode async event %s: %w", k, err)
			}
			if rec.RequestID != string(k) {
				return fmt.Errorf("decode async event %s: record names %q", k, rec.RequestID)
			}
			events = append(events, rec.toDomain())
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("load async events: %w", err)
	}
	return events, nil
}

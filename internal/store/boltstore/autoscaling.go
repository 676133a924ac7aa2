package boltstore

import (
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/reservoir-dev/reservoir/internal/autoscaling"
)

// Application Auto Scaling records live in one bucket, as JSON, under keys
// "<kind>\x00<account>\x00<region>\x00<resource id>[\x00<name or id>]",
// kind one of t (target), p (policy), s (scheduled action), a (activity).
// The values are the records of autoscaling_records.go as JSON.

func asKey(kind string, sc autoscaling.Scope, r autoscaling.ResourceID, name string) []byte {
	k := kind + "\x00" + sc.Account + "\x00" + sc.Region + "\x00" + r.String()
	if name != "" {
		k += "\x00" + name
	}
	return []byte(k)
}

// LoadAutoscaling returns every stored target, policy, scheduled action and
// activity.
func (s *Store) LoadAutoscaling(ctx context.Context) (autoscaling.Snapshot, error) {
	var snap autoscaling.Snapshot
	err := s.view(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketAutoscaling)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			var err error
			switch k[0] {
			case 't':
				var r asTargetRecord
				if err = json.Unmarshal(v, &r); err == nil {
					snap.Targets = append(snap.Targets, r.target())
				}
			case 'p':
				var r asPolicyRecord
				if err = json.Unmarshal(v, &r); err == nil {
					snap.Policies = append(snap.Policies, r.policy())
				}
			case 's':
				var r asActionRecord
				if err = json.Unmarshal(v, &r); err == nil {
					snap.Actions = append(snap.Actions, r.action())
				}
			case 'a':
				var r asActivityRecord
				if err = json.Unmarshal(v, &r); err == nil {
					snap.Activities = append(snap.Activities, r.activity())
				}
			default:
				err = fmt.Errorf("unknown record kind %q", k[0])
			}
			if err != nil {
				return fmt.Errorf("decode autoscaling record %q: %w", k, err)
			}
			return nil
		})
	})
	return snap, err
}

// SaveAutoscaling applies a change in one durable write.
func (s *Store) SaveAutoscaling(ctx context.Context, c autoscaling.Change) error {
	type kv struct{ k, v []byte }
	var puts []kv
	var dels [][]byte
	put := func(k []byte, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		puts = append(puts, kv{k, b})
		return nil
	}
	for _, t := range c.Targets {
		if err := put(asKey("t", t.Scope, t.Resource, ""), toTargetRecord(t)); err != nil {
			return err
		}
	}
	for _, p := range c.Policies {
		if err := put(asKey("p", p.Scope, p.Resource, p.Name), toPolicyRecord(p)); err != nil {
			return err
		}
	}
	for _, a := range c.Actions {
		if err := put(asKey("s", a.Scope, a.Resource, a.Name), toActionRecord(a)); err != nil {
			return err
		}
	}
	for _, a := range c.Activities {
		if err := put(asKey("a", a.Scope, a.Resource, a.ID), toActivityRecord(a)); err != nil {
			return err
		}
	}
	for _, k := range c.DeleteTargets {
		dels = append(dels, asKey("t", k.Scope, k.Resource, ""))
	}
	for _, k := range c.DeletePolicies {
		dels = append(dels, asKey("p", k.Scope, k.Resource, k.Name))
	}
	for _, k := range c.DeleteActions {
		dels = append(dels, asKey("s", k.Scope, k.Resource, k.Name))
	}
	for _, a := range c.DeleteActivities {
		dels = append(dels, asKey("a", a.Scope, a.Resource, a.ID))
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketAutoscaling)
		if err != nil {
			return err
		}
		for _, k := range dels {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		for _, p := range puts {
			if err := b.Put(p.k, p.v); err != nil {
				return err
			}
		}
		return nil
	})
}

package iam_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/reservoir-dev/reservoir/internal/iam"
)

func TestServiceCanAssume(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	const lambda = "lambda.amazonaws.com"
	for i, c := range []struct {
		name, doc string
		ok        bool
	}{
		{"lambda", trust, true},
		{"one of several services", `{"Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","lambda.amazonaws.com"]},"Action":["sts:AssumeRole","sts:TagSession"]}]}`, true},
		{"a single statement object", `{"Statement":{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}}`, true},
		{"everyone", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`, true},
		{"every AWS principal", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`, true},
		{"action wildcard", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:*"}]}`, true},
		{"action case", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"STS:assumerole"}]}`, true},
		{"with a condition", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}`, true},
		{"another service", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, false},
		{"an account", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`, false},
		{"a service wildcard", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"*.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, false},
		{"another action", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`, false},
		{"denied", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:*"}]}`, false},
		{"no statement allows", `{"Statement":[]}`, false},
		{"NotPrincipal", `{"Statement":[{"Effect":"Allow","NotPrincipal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := svc.CreateRole(ctx, acct, iam.CreateRoleInput{Name: fmt.Sprintf("r%d", i), Path: "/svc/", AssumeRolePolicyDocument: c.doc})
			if err != nil {
				t.Fatal(err)
			}
			ok, why := svc.ServiceCanAssume(ctx, r.ARN(), lambda)
			if ok != c.ok || (!ok && why == "") {
				t.Errorf("ServiceCanAssume = %v %q, want %v (with a reason when false)", ok, why, c.ok)
			}
		})
	}

	mustCreate(t, svc, acct, "plain")
	for arn, ok := range map[string]bool{
		"arn:aws:iam::" + acct + ":role/plain":       true,
		"arn:aws:iam::" + acct + ":role/PLAIN":       true, // role names are case-insensitive
		"arn:aws:iam::" + acct + ":role/svc/plain":   false,
		"arn:aws:iam::" + other + ":role/plain":      false,
		"arn:aws:iam::" + acct + ":role/missing":     false,
		"arn:aws:iam::" + acct + ":user/plain":       false,
		"arn:aws:iam::" + acct + ":role/":            false,
		"arn:aws:lambda:us-east-1:" + acct + ":role": false,
	} {
		if got, why := svc.ServiceCanAssume(ctx, arn, lambda); got != ok {
			t.Errorf("ServiceCanAssume(%s) = %v %q, want %v", arn, got, why, ok)
		}
	}
}

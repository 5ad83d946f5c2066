package domain

import (
	"fmt"
	"strings"
	"time"
)

// Environment is a named deployment target with free-form attributes.
type Environment struct {
	Name       string            `json:"name"`
	Attributes map[string]string `json:"attributes,omitempty"`
	CreatedAt  time.Time         `json:"created_at"`
	UpdatedAt  time.Time         `json:"updated_at"`
}

// AttributesMatch reports whether attrs holds every key of match with the
// same value.
func AttributesMatch(attrs, match map[string]string) bool {
	for k, v := range match {
		if attrs[k] != v {
			return false
		}
	}
	return true
}

// EnvironmentInUseError refuses to delete an environment that deployments
// still run in.
type EnvironmentInUseError struct {
	Environment string
	Deployments []string // ids of the live deployments, PACKAGE/ENVIRONMENT
}

func (u *EnvironmentInUseError) Error() string {
	return fmt.Sprintf("environment %q still has %d live deployment(s): %s. Destroy those deployments first",
		u.Environment, len(u.Deployments), strings.Join(u.Deployments, ", "))
}

package provider

import (
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/lease"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

// A store that fails is never taken for an empty one: every read that
// cannot be done stops the plan, refresh or apply with a diagnostic that
// names the store and the record, instead of answering "nothing there".
// Only a record that is genuinely missing (engine.IsNotFound) is treated
// as absent.

// Summaries of a store failure.
const (
	summaryStoreRead  = "Cannot Read Ocuroot Store"
	summaryStoreWrite = "Cannot Write Ocuroot Store"
)

// What a user can do after a failed read at plan or refresh time.
const nextAfterPlanRead = "Nothing was written to the store and nothing was deployed. " +
	"The plan stops here rather than guess without the record; check that the store is reachable and run terraform again."

// storeFailure returns the store failure err holds, if any.
func storeFailure(err error) (*records.StoreError, bool) {
	var storeErr *records.StoreError
	return storeErr, errors.As(err, &storeErr)
}

// storeFailureSummary is the summary for an error that holds a store
// failure: a failed read and a failed write call for different checks.
func storeFailureSummary(err error) string {
	if storeErr, ok := storeFailure(err); ok && !storeErr.Reading() {
		return summaryStoreWrite
	}
	return summaryStoreRead
}

// addStoreReadError reports a read that a plan, refresh or apply needed
// and could not do: purpose says what it was for ("checking api/prod0 for
// an unfinished rollout"), next what the user can do. The store's own
// error names the record and the store; one that does not (a record that
// cannot be decoded) is given the store's description here.
func (pd *providerData) addStoreReadError(diags *diag.Diagnostics, purpose string, err error, next string) {
	diags.AddError(storeFailureSummary(err), fmt.Sprintf("%s failed: %s. %s", purpose, pd.storeErrorText(err), next))
}

// storeErrorText is err in words that always name the store.
func (pd *providerData) storeErrorText(err error) string {
	if _, ok := storeFailure(err); ok {
		return engineErrorText(err)
	}
	return fmt.Sprintf("%s (store: %s)", engineErrorText(err), pd.storeDescription)
}

// withoutLeaseNotReleased turns an operation's error that only says its
// lease could not be given up into a warning: the operation itself
// succeeded and is saved. It returns the error left to report.
func withoutLeaseNotReleased(diags *diag.Diagnostics, operation string, err error) error {
	notReleased, ok := err.(*lease.LeaseNotReleasedError)
	if !ok {
		return err
	}
	diags.AddWarning("Deployment Lease Not Released", fmt.Sprintf(
		"The %s completed and is saved. %s A run on this machine takes the lease over at once.",
		operation, sentence(notReleased.Error())))
	return nil
}

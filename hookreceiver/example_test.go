package hookreceiver_test

import (
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/hookreceiver"
)

// A receiver verifies and decodes each call in one step, answers a refused
// call with the error's status, and routes on the signed event type.
func Example() {
	secret := "whsec-example" // in a real receiver: os.Getenv("OCUROOT_HOOK_SECRET")
	verifier := hookreceiver.NewVerifier(secret)

	handler := func(w http.ResponseWriter, r *http.Request) {
		ev, err := verifier.Verify(r)
		var refused *hookreceiver.VerifyError
		if errors.As(err, &refused) {
			log.Printf("hook refused (%s): %v", refused.Reason, err)
			http.Error(w, err.Error(), refused.StatusCode())
			return
		}
		// Skip an Idempotency-Key already carried out: retries and resumed
		// rollouts send the same key again.
		switch ev.Type {
		case hookreceiver.EventCanaryWeight:
			fmt.Printf("send %d%% of %s/%s to %s\n", ev.Weight, ev.Package, ev.Environment, ev.Release)
		case hookreceiver.EventRollback:
			fmt.Printf("restore %s in %s/%s: %s\n", ev.PreviousRelease, ev.Package, ev.Environment, ev.Reason)
		}
		w.WriteHeader(http.StatusOK)
	}

	// A call as the provider sends it.
	body := `{"type":"canary.weight","package":"api","environment":"prod","release":"api@2","weight":10}`
	timestamp := hookreceiver.FormatTimestamp(time.Now())
	call := httptest.NewRequest(http.MethodPost, "/hooks", strings.NewReader(body))
	call.Header.Set(hookreceiver.HeaderTimestamp, timestamp)
	call.Header.Set(hookreceiver.HeaderSignature, hookreceiver.Sign(secret, timestamp, []byte(body)))
	answer := httptest.NewRecorder()
	handler(answer, call)
	fmt.Println(answer.Code)

	// The same call, changed on the way.
	forged := httptest.NewRequest(http.MethodPost, "/hooks", strings.NewReader(strings.Replace(body, `"weight":10`, `"weight":100`, 1)))
	forged.Header = call.Header.Clone()
	answer = httptest.NewRecorder()
	handler(answer, forged)
	fmt.Print(answer.Code, " ", answer.Body.String())

	// Output:
	// send 10% of api/prod to api@2
	// 200
	// 401 hook call refused: X-Ocuroot-Signature does not match the body
}

// The signature is an HMAC-SHA256 of the timestamp, a dot, and the raw
// body: a receiver in another language can check its code against this.
func ExampleSign() {
	fmt.Println(hookreceiver.Sign("whsec-test", "1700000000", []byte(`{"type":"deploy"}`)))
	// Output: sha256=cb725692e3496bd64f70e062aea174856e57b95739e1f063da6fcf406e0b7cfe
}

// A test double whose clock is not the sender's can turn the timestamp
// window off; a receiver that changes anything real keeps it.
func ExampleWithoutTimestampWindow() {
	body := []byte(`{"type":"teardown","package":"api","environment":"dev"}`)
	header := http.Header{}
	header.Set(hookreceiver.HeaderTimestamp, "1700000000") // November 2023
	header.Set(hookreceiver.HeaderSignature, hookreceiver.Sign("s3cret", "1700000000", body))

	_, err := hookreceiver.NewVerifier("s3cret").VerifyBody(header, body)
	fmt.Println(err != nil)
	ev, err := hookreceiver.NewVerifier("s3cret", hookreceiver.WithoutTimestampWindow()).VerifyBody(header, body)
	fmt.Println(ev.Type, err)
	// Output:
	// true
	// teardown <nil>
}

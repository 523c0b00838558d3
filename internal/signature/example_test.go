package signature_test

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/hookstream-go/hookstream/internal/signature"
)

// Verifying GitHub's published example delivery.
func ExampleVerify() {
	cfg := signature.Config{Template: signature.TemplateGitHub, Secret: "It's a Secret to Everybody"}
	req := signature.Request{
		Method: http.MethodPost,
		Header: http.Header{"X-Hub-Signature-256": {"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}},
		Body:   []byte("Hello, World!"),
	}
	fmt.Println(signature.Verify(cfg, req, time.Now()))

	req.Body = []byte("Hello, World?")
	err := signature.Verify(cfg, req, time.Now())
	fmt.Println(err, errors.Is(err, signature.ErrSignatureMismatch))

	req.Header = http.Header{}
	fmt.Println(signature.Verify(cfg, req, time.Now()))
	// Output:
	// <nil>
	// signature mismatch true
	// missing signature header X-Hub-Signature-256
}

// Signing a delivery the Standard Webhooks way reproduces the spec's vector.
func ExampleSigner_Sign() {
	s, err := signature.ParseSigningConfig([]byte(`{"scheme": "standard_webhooks", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	h := http.Header{}
	s.Sign(h, "msg_p5jXN8AQM9LWM0D4loKWxJek", []byte(`{"test": 2432232314}`), time.Unix(1614265330, 0))
	fmt.Println(h.Get("webhook-id"))
	fmt.Println(h.Get("webhook-timestamp"))
	fmt.Println(h.Get("webhook-signature"))
	// Output:
	// msg_p5jXN8AQM9LWM0D4loKWxJek
	// 1614265330
	// v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
}

// Invalid signing configs name the field at fault.
func ExampleParseSigningConfig() {
	_, err := signature.ParseSigningConfig([]byte(`{"secret": "k3y-material", "algorithm": "md5"}`))
	fmt.Println(err)
	// Output:
	// signing_config.algorithm: must be sha256 or sha1
}

func ExampleMask() {
	fmt.Println(signature.Mask("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
	// Output:
	// ••••LaSw
}

// Package signature verifies the signatures of incoming webhooks and signs
// outgoing deliveries, following spec §3.1 (verification schemes and
// provider templates) and §3.3 (signing_config).
//
// # Verifying
//
// [Verify] checks one request against a source's verification settings
// ([Config]: verification_type, verification_secret, verification_header,
// verification_config and template). The generic schemes are
// [SchemeHMACSHA256], [SchemeHMACSHA1] and [SchemeStandardWebhooks]; the
// provider templates listed by [Templates] implement each provider's own
// format (Stripe, GitHub, Shopify, Slack, Twilio, SendGrid, Intercom, Linear,
// Clerk, Svix, Resend, Paddle, Postmark, Typeform). Failures are *[Error]
// values wrapping one of [ErrMissingHeader], [ErrMalformedHeader],
// [ErrSignatureMismatch] or [ErrOutsideTolerance]; their messages name the
// header involved but never contain the secret or a header value. A
// configuration that cannot work (no secret, an unknown scheme, a SendGrid
// key that is not a public key) is a *[ConfigError] wrapping
// [ErrInvalidConfig]; [ValidateConfig] reports it at create time.
//
// Every comparison of a signature is constant-time (hmac.Equal), timestamps
// are checked against a tolerance (5 minutes by default, both past and
// future), and time is always an argument so tests control it.
//
// # Formats and choices
//
//   - HMAC digests are accepted hex or base64 (standard or URL alphabet,
//     padded or not) and told apart by length: a hex digest is twice the
//     digest size, which no base64 form of it is. Templates whose provider
//     documents one encoding accept only that one. A "sha256=" / "sha1="
//     prefix is stripped, and a header may list several signatures separated
//     by commas or spaces; one match is enough.
//   - HMAC secrets are used as the raw bytes of the configured string (so a
//     Stripe "whsec_..." secret is used as-is, as Stripe does). Standard
//     Webhooks secrets are "whsec_" + base64; without the prefix the secret
//     is base64-decoded when it can be and used raw otherwise; "whpk_" +
//     base64 is an ed25519 public key verifying "v1a" signatures.
//   - Twilio signs the URL it called, so Request.URL must be the public URL
//     (scheme and host as the sender saw them). Form-encoded POSTs append the
//     body parameters sorted by name; JSON bodies carry bodySHA256 in the
//     query, and the body's SHA-256 must match it.
//   - SendGrid's "secret" is the verification key it shows: base64 of a DER
//     (PKIX) ECDSA P-256 public key (PEM accepted too).
//   - Postmark signs nothing: verification passes, or checks HTTP basic auth
//     when the secret is "user:password".
//
// # Signing
//
// [ParseSigningConfig] turns a destination's signing_config into a [Signer]
// whose Sign method adds the signature headers to an outgoing request:
// either an HMAC hex digest in a configurable header, or Standard Webhooks
// headers (webhook-id, webhook-timestamp, webhook-signature). During secret
// rotation the Signer signs with both the current and the previous secret.
// [Mask] and [MaskSigningConfig] hide secrets in API responses.
package signature

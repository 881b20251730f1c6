//! GitHub webhook signatures: `X-Hub-Signature-256` is the HMAC-SHA256 of the raw body under the App's webhook
//! secret. The handler that checks it (`POST /webhook`) is in `http::webhook`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::settings::Secret;

/// Returns true when `signature_header` (`sha256=<hex>`) is the HMAC-SHA256 of `body` under any of `secrets`.
///
/// The comparison is constant-time (`Mac::verify_slice`), so timing does not reveal how much of a guess matched.
pub fn verify_signature(secrets: &[Secret], body: &[u8], signature_header: &str) -> bool {
    let Some(hex_sig) = signature_header.strip_prefix("sha256=") else { return false };
    let Ok(expected) = hex::decode(hex_sig.trim()) else { return false };
    secrets.iter().any(|secret| {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()) else {
            return false;
        };
        mac.update(body);
        mac.verify_slice(&expected).is_ok()
    })
}

/// Returns the `X-Hub-Signature-256` header value for `body` signed with `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector of GitHub's docs (tests/fixtures/signature-test-vector.txt).
    const VECTOR_SIG: &str =
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn github_test_vector_verifies() {
        let secrets = [Secret::new("It's a Secret to Everybody")];
        assert!(verify_signature(&secrets, b"Hello, World!", VECTOR_SIG));
        assert_eq!(sign("It's a Secret to Everybody", b"Hello, World!"), VECTOR_SIG);
    }

    #[test]
    fn wrong_secret_body_or_format_fails() {
        let secrets = [Secret::new("It's a Secret to Everybody")];
        assert!(!verify_signature(&[Secret::new("other")], b"Hello, World!", VECTOR_SIG));
        assert!(!verify_signature(&secrets, b"Hello, World?", VECTOR_SIG));
        assert!(!verify_signature(
            &secrets,
            b"Hello, World!",
            &VECTOR_SIG.replace("sha256=", "sha1=")
        ));
        assert!(!verify_signature(&secrets, b"Hello, World!", "sha256=zz"));
        assert!(!verify_signature(&secrets, b"Hello, World!", ""));
    }

    #[test]
    fn any_rotated_secret_verifies() {
        let secrets = [Secret::new("old"), Secret::new("It's a Secret to Everybody")];
        assert!(verify_signature(&secrets, b"Hello, World!", VECTOR_SIG));
    }
}

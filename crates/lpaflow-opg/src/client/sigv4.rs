//! AWS Signature Version 4 on every request to the LPA Store: its API Gateway guards every LPA route with
//! `AWS_IAM` (`openapi.yaml`, `x-amazon-apigateway-auth`), so an unsigned request is refused with a 403 before
//! the store sees it. Signing uses the AWS SDK's own signer (`aws-sigv4`), service `execute-api`, over the
//! method, path, query, `host`, `x-amz-date` (and `x-amz-security-token` with temporary credentials) and the
//! SHA-256 of the body, as the store's own end-to-end test signs (`api_test.go`).

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use serde::{Deserialize, Serialize};

/// The service name API Gateway signs for.
pub const SERVICE: &str = "execute-api";

/// AWS credentials and region for signing, resolved by the CLI (flags or the standard AWS variables).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwsSigning {
    /// e.g. `eu-west-1`.
    pub region: String,
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key_id: String,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: String,
    /// `AWS_SESSION_TOKEN`, with temporary credentials.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for AwsSigning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsSigning")
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Signs requests with one set of credentials.
#[derive(Clone)]
pub(crate) struct Signer {
    identity: Identity,
    region: String,
}

/// Why a request could not be signed (a bug or an unusable URL: never retried).
#[derive(Debug, thiserror::Error)]
#[error("could not sign the request: {0}")]
pub struct SignError(String);

impl Signer {
    pub(crate) fn new(config: &AwsSigning) -> Self {
        let credentials = Credentials::new(
            config.access_key_id.clone(),
            config.secret_access_key.clone(),
            config.session_token.clone(),
            None,
            "lpaflow",
        );
        Self {
            identity: credentials.into(),
            region: config.region.clone(),
        }
    }

    /// The headers that sign `method url` with `body` at `time` (`authorization`, `x-amz-date`, and
    /// `x-amz-security-token` with temporary credentials).
    pub(crate) fn headers(
        &self,
        method: &str,
        url: &str,
        body: &[u8],
        time: SystemTime,
    ) -> Result<Vec<(String, String)>, SignError> {
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region(&self.region)
            .name(SERVICE)
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| SignError(e.to_string()))?
            .into();
        let request =
            SignableRequest::new(method, url, std::iter::empty(), SignableBody::Bytes(body))
                .map_err(|e| SignError(e.to_string()))?;
        let (instructions, _signature) = sign(request, &params)
            .map_err(|e| SignError(e.to_string()))?
            .into_parts();
        Ok(instructions
            .headers()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn a_signature_covers_the_date_and_the_credential_scope() {
        let signer = Signer::new(&AwsSigning {
            region: "eu-west-1".into(),
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        });
        let at = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let headers = signer
            .headers(
                "PUT",
                "https://example.com/lpas/M-AAAA-BBBB-CCCC",
                b"{}",
                at,
            )
            .expect("signed");
        let get = |n: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.clone())
        };
        assert_eq!(get("x-amz-date").as_deref(), Some("20231114T221320Z"));
        let auth = get("authorization").expect("authorization");
        assert!(
            auth.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/eu-west-1/execute-api/aws4_request"
            ),
            "{auth}"
        );
        let other = signer
            .headers(
                "PUT",
                "https://example.com/lpas/M-AAAA-BBBB-CCCC",
                b"{ }",
                at,
            )
            .expect("signed");
        assert_ne!(
            Some(auth),
            other
                .iter()
                .find(|(k, _)| k == "authorization")
                .map(|(_, v)| v.clone()),
            "the body is signed"
        );
    }
}

//! API Gateway's `AWS_IAM` authorisation, which the real store puts in front of every LPA route
//! (`docs/openapi/openapi.yaml`: `x-amazon-apigateway-auth: AWS_IAM`; `api_test.go` signs with SigV4,
//! service `execute-api`). Off unless the simulator is given a key pair.
//!
//! The signature is recomputed with the `aws-sigv4` crate over the method, path, query, body and exactly
//! the headers the request lists in `SignedHeaders`, then compared. Refusals are API Gateway's: 403 with
//! `{"message": ...}` and an `x-amzn-ErrorType` header.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use http::{HeaderMap, Method, Uri};

/// The service API Gateway signs for.
pub const SERVICE: &str = "execute-api";

/// The region when none is given.
pub const DEFAULT_REGION: &str = "eu-west-1";

/// How far `X-Amz-Date` may be from the gateway's clock.
const CLOCK_SKEW_MAX: TimeDelta = TimeDelta::minutes(5);

/// The key pair (and region) the simulator accepts signatures from.
#[derive(Clone, PartialEq, Eq)]
pub struct AwsVerification {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub region: String,
}

impl AwsVerification {
    /// A key pair in the default region.
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            region: DEFAULT_REGION.to_owned(),
        }
    }
}

/// Never prints the secret.
impl std::fmt::Debug for AwsVerification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsVerification")
            .field("access_key_id", &self.access_key_id)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// API Gateway's refusal: `x-amzn-ErrorType` and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayRefusal {
    pub error_type: &'static str,
    pub message: String,
}

fn refusal(error_type: &'static str, message: impl Into<String>) -> GatewayRefusal {
    GatewayRefusal {
        error_type,
        message: message.into(),
    }
}

const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. \
Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// The parts of `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
struct Authorization<'a> {
    credential: Option<&'a str>,
    signed_headers: Option<&'a str>,
    signature: Option<&'a str>,
}

fn parse_authorization(value: &str) -> Option<Authorization<'_>> {
    let rest = value.strip_prefix("AWS4-HMAC-SHA256")?;
    let mut auth = Authorization {
        credential: None,
        signed_headers: None,
        signature: None,
    };
    for part in rest.split(',') {
        let Some((name, v)) = part.trim().split_once('=') else {
            continue;
        };
        match name.trim() {
            "Credential" => auth.credential = Some(v.trim()),
            "SignedHeaders" => auth.signed_headers = Some(v.trim()),
            "Signature" => auth.signature = Some(v.trim()),
            _ => {}
        }
    }
    Some(auth)
}

fn amz_format(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Checks one request's signature.
pub fn verify(
    aws: &AwsVerification,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), GatewayRefusal> {
    let Some(header) = headers.get(http::header::AUTHORIZATION) else {
        return Err(refusal(
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ));
    };
    let header = header.to_str().unwrap_or_default();
    let amz_date = headers.get("x-amz-date").and_then(|v| v.to_str().ok());
    let parsed = parse_authorization(header);
    let (credential, signed_headers, signature) = match &parsed {
        Some(Authorization {
            credential: Some(c),
            signed_headers: Some(h),
            signature: Some(s),
        }) if amz_date.is_some() => (*c, *h, *s),
        _ => {
            let mut message = String::new();
            let missing =
                |name: &str| format!("Authorization header requires '{name}' parameter. ");
            let auth = parsed.as_ref();
            if auth.and_then(|a| a.credential).is_none() {
                message.push_str(&missing("Credential"));
            }
            if auth.and_then(|a| a.signature).is_none() {
                message.push_str(&missing("Signature"));
            }
            if auth.and_then(|a| a.signed_headers).is_none() {
                message.push_str(&missing("SignedHeaders"));
            }
            if amz_date.is_none() {
                message.push_str(
                    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
                );
            }
            message.push_str(&format!("Authorization={header}"));
            return Err(refusal("IncompleteSignatureException", message));
        }
    };
    let scope: Vec<&str> = credential.split('/').collect();
    let [key_id, scope_date, region, service, terminator] = scope.as_slice() else {
        return Err(refusal(
            "IncompleteSignatureException",
            format!("Credential should be scoped to a valid region. Authorization={header}"),
        ));
    };
    if *key_id != aws.access_key_id {
        return Err(refusal(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ));
    }
    if *terminator != "aws4_request" {
        return Err(refusal(
            "InvalidSignatureException",
            format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'. "
            ),
        ));
    }
    if *region != aws.region {
        return Err(refusal(
            "InvalidSignatureException",
            "Credential should be scoped to a valid region. ",
        ));
    }
    if *service != SERVICE {
        return Err(refusal(
            "InvalidSignatureException",
            format!("Credential should be scoped to correct service: '{SERVICE}'. "),
        ));
    }
    let amz_date = amz_date.unwrap_or_default();
    let Ok(signed_at) = NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ") else {
        return Err(refusal(
            "IncompleteSignatureException",
            format!(
                "Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
            ),
        ));
    };
    let signed_at = signed_at.and_utc();
    if *scope_date != signed_at.format("%Y%m%d").to_string() {
        return Err(refusal(
            "InvalidSignatureException",
            format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope_date}' != '{}', from '{amz_date}'.",
                signed_at.format("%Y%m%d")
            ),
        ));
    }
    if signed_at < now - CLOCK_SKEW_MAX {
        return Err(refusal(
            "InvalidSignatureException",
            format!(
                "Signature expired: {amz_date} is now earlier than {} ({} - 5 min.)",
                amz_format(now - CLOCK_SKEW_MAX),
                amz_format(now)
            ),
        ));
    }
    if signed_at > now + CLOCK_SKEW_MAX {
        return Err(refusal(
            "InvalidSignatureException",
            format!(
                "Signature not yet current: {amz_date} is still later than {} ({} + 5 min.)",
                amz_format(now + CLOCK_SKEW_MAX),
                amz_format(now)
            ),
        ));
    }
    let names: Vec<&str> = signed_headers.split(';').collect();
    if !names.contains(&"host") || headers.get(http::header::HOST).is_none() {
        return Err(refusal(
            "InvalidSignatureException",
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    let expected = expected_signature(aws, method, uri, headers, &names, body, signed_at)
        .ok_or_else(|| refusal("InvalidSignatureException", MISMATCH))?;
    if expected.signature.eq_ignore_ascii_case(signature)
        && expected.signed_headers == signed_headers
    {
        Ok(())
    } else {
        Err(refusal("InvalidSignatureException", MISMATCH))
    }
}

struct Expected {
    signature: String,
    signed_headers: String,
}

/// The signature `aws-sigv4` computes for the request with only the headers named in `SignedHeaders`.
fn expected_signature(
    aws: &AwsVerification,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    names: &[&str],
    body: &[u8],
    signed_at: DateTime<Utc>,
) -> Option<Expected> {
    let mut signed: Vec<(&str, &str)> = Vec::new();
    for name in names {
        for value in headers.get_all(*name) {
            signed.push((name, value.to_str().ok()?));
        }
    }
    let token = headers
        .get("x-amz-security-token")
        .filter(|_| names.contains(&"x-amz-security-token"))
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let identity = Credentials::new(
        aws.access_key_id.clone(),
        aws.secret_access_key.clone(),
        token,
        None,
        "lpaflow-opg-simulator",
    )
    .into();
    let mut settings = SigningSettings::default();
    settings.excluded_headers = Some(Vec::new());
    let time =
        SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(signed_at.timestamp()).ok()?);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&aws.region)
        .name(SERVICE)
        .time(time)
        .settings(settings)
        .build()
        .ok()?
        .into();
    let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str());
    let request = SignableRequest::new(
        method.as_str(),
        path_and_query,
        signed.into_iter(),
        SignableBody::Bytes(body),
    )
    .ok()?;
    let output = sign(request, &params).ok()?;
    let (instructions, signature) = output.into_parts();
    let authorization = instructions
        .headers()
        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.to_owned())?;
    let signed_headers = parse_authorization(&authorization)?
        .signed_headers?
        .to_owned();
    Some(Expected {
        signature,
        signed_headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn signed_headers(
        aws: &AwsVerification,
        at: DateTime<Utc>,
        body: &[u8],
        key: &str,
    ) -> HeaderMap {
        let identity =
            Credentials::new(key, aws.secret_access_key.clone(), None, None, "test").into();
        let time = SystemTime::UNIX_EPOCH
            + Duration::from_secs(u64::try_from(at.timestamp()).expect("after 1970"));
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&aws.region)
            .name(SERVICE)
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .expect("params")
            .into();
        let headers = [
            ("host", "127.0.0.1:8089"),
            ("content-type", "application/json"),
        ];
        let request = SignableRequest::new(
            "PUT",
            "http://127.0.0.1:8089/lpas/M-1?presign-images",
            headers.into_iter(),
            SignableBody::Bytes(body),
        )
        .expect("signable");
        let (instructions, _) = sign(request, &params).expect("signs").into_parts();
        let mut map = HeaderMap::new();
        for (k, v) in headers.into_iter().chain(instructions.headers()) {
            map.insert(
                http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
                HeaderValue::from_str(v).expect("value"),
            );
        }
        map
    }

    #[test]
    fn a_signature_from_the_key_pair_is_accepted_and_anything_else_refused() {
        let aws = AwsVerification::new("AKIDEXAMPLE", "secret");
        let now = Utc::now();
        let uri: Uri = "/lpas/M-1?presign-images".parse().expect("uri");
        let headers = signed_headers(&aws, now, b"{}", "AKIDEXAMPLE");
        assert_eq!(
            verify(&aws, &Method::PUT, &uri, &headers, b"{}", now),
            Ok(())
        );
        let refused = |headers: &HeaderMap, body: &[u8], now| {
            verify(&aws, &Method::PUT, &uri, headers, body, now)
        };
        assert_eq!(
            refused(&headers, b"{ }", now).map_err(|r| r.message),
            Err(MISMATCH.to_owned())
        );
        assert_eq!(
            refused(&HeaderMap::new(), b"{}", now).map_err(|r| r.message),
            Err("Missing Authentication Token".to_owned())
        );
        let stranger = signed_headers(&aws, now, b"{}", "AKIDOTHER");
        assert_eq!(
            refused(&stranger, b"{}", now).map_err(|r| r.error_type),
            Err("UnrecognizedClientException")
        );
        let late = refused(&headers, b"{}", now + TimeDelta::minutes(6)).expect_err("expired");
        assert!(
            late.message.starts_with("Signature expired: "),
            "{}",
            late.message
        );
        let mut other_region = aws.clone();
        other_region.region = "eu-west-2".into();
        assert!(verify(&other_region, &Method::PUT, &uri, &headers, b"{}", now).is_err());
    }
}

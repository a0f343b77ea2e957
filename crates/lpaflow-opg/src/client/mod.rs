//! The OPG HTTP client: one keep-alive connection pool (reqwest, rustls), a fresh JWT per request (its
//! subject is the update's author), an AWS Signature V4 on every request when credentials are given
//! ([`sigv4`]), bounded timeouts, and every failure classified where its cause is known (see [`error`]).

mod error;
pub mod sigv4;

use std::time::Duration;

use http::StatusCode;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub use error::{
    Access, OpgError, RETRY_AFTER_MS_MAX, classify_status, classify_transport, retry_after_ms,
};

use crate::jwt::{self, JWT_HEADER, Signer};
use crate::uid::is_valid_uid;
use lpaflow_lpa::lpa_store::{ChangeLogEntry, Update};
pub use sigv4::AwsSigning;

/// Most uids in one `POST /lpas` batch read; longer lists are split. The store reads them with one DynamoDB
/// `BatchGetItem`, which refuses more than 100 keys (the store then answers 500).
pub const BATCH_UIDS_MAX: usize = 100;
/// Upper bound for both timeouts.
pub const TIMEOUT_MS_MAX: u64 = 600_000;
/// Largest response body read (an LPA document is a few KB; a batch of 1000 a few MB).
pub const RESPONSE_BYTES_MAX: usize = 16 * 1024 * 1024;

/// Client settings, resolved by the CLI (flags, env) before they get here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpgClientConfig {
    /// e.g. `http://127.0.0.1:8089` (no trailing path).
    pub base_url: String,
    pub jwt_secret: String,
    /// One of [`jwt::ISSUERS`].
    pub issuer: String,
    /// A URN; becomes the author of our updates in OPG's change log.
    pub subject: String,
    /// Whole request, connect to last body byte.
    pub timeout_ms: u64,
    pub connect_timeout_ms: u64,
    /// Idle keep-alive connections kept per host.
    pub pool_idle_per_host_max: usize,
    /// AWS Signature V4 credentials; `None` sends unsigned requests (the simulator without a key pair, the
    /// benchmark stub), which the real store's API Gateway refuses.
    pub aws: Option<AwsSigning>,
}

impl OpgClientConfig {
    /// Defaults: issuer `opg.poas.makeregister`, subject `urn:opg:poas:makeregister:users:lpaflow`, 10 s
    /// request timeout, 2 s connect timeout.
    pub fn new(base_url: impl Into<String>, jwt_secret: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            jwt_secret: jwt_secret.into(),
            issuer: jwt::DEFAULT_ISSUER.to_owned(),
            subject: jwt::DEFAULT_SUBJECT.to_owned(),
            timeout_ms: 10_000,
            connect_timeout_ms: 2_000,
            pool_idle_per_host_max: 64,
            aws: None,
        }
    }
}

/// A configuration the client cannot work with.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("base_url `{0}` must be an http(s) URL")]
    BaseUrl(String),
    #[error("{name} must be between 1 and {TIMEOUT_MS_MAX} ms")]
    Timeout { name: &'static str },
    #[error(transparent)]
    Jwt(#[from] jwt::Error),
    #[error("could not build the HTTP client")]
    Http(#[source] reqwest::Error),
    #[error("AWS signing: {0}")]
    Aws(String),
}

/// A read of one LPA with its freshness: `age_s` is set when OPG answered from a cache (`Age` header), in which
/// case the document may predate our last write and must not decide whether a step took effect.
#[derive(Debug, Clone, PartialEq)]
pub struct Read {
    pub lpa: Option<Value>,
    pub age_s: Option<u64>,
}

impl Read {
    pub fn is_stale(&self) -> bool {
        self.age_s.is_some()
    }
}

/// The OPG client. Cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct OpgClient {
    http: reqwest::Client,
    base_url: String,
    signer: Signer,
    aws: Option<sigv4::Signer>,
}

struct Reply {
    status: StatusCode,
    headers: http::HeaderMap,
    body: bytes::Bytes,
}

impl OpgClient {
    pub fn new(config: &OpgClientConfig) -> Result<Self, ConfigError> {
        let base_url = config.base_url.trim_end_matches('/').to_owned();
        let parsed =
            reqwest::Url::parse(&base_url).map_err(|_| ConfigError::BaseUrl(base_url.clone()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(ConfigError::BaseUrl(base_url));
        }
        for (name, ms) in [
            ("timeout_ms", config.timeout_ms),
            ("connect_timeout_ms", config.connect_timeout_ms),
        ] {
            if ms == 0 || ms > TIMEOUT_MS_MAX {
                return Err(ConfigError::Timeout { name });
            }
        }
        let signer = Signer::new(&config.jwt_secret, &config.issuer, &config.subject)?;
        if let Some(aws) = &config.aws
            && (aws.region.is_empty()
                || aws.access_key_id.is_empty()
                || aws.secret_access_key.is_empty())
        {
            return Err(ConfigError::Aws(
                "region, access key id and secret access key must all be given".to_owned(),
            ));
        }
        let aws = config.aws.as_ref().map(sigv4::Signer::new);
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.timeout_ms))
            .connect_timeout(Duration::from_millis(config.connect_timeout_ms))
            .pool_max_idle_per_host(config.pool_idle_per_host_max)
            .redirect(reqwest::redirect::Policy::none())
            .tcp_nodelay(true)
            .build()
            .map_err(ConfigError::Http)?;
        Ok(Self {
            http,
            base_url,
            signer,
            aws,
        })
    }

    /// The subject lpaflow's own updates are authored by.
    pub fn subject(&self) -> &str {
        self.signer.subject()
    }

    /// `PUT /lpas/{uid}`.
    pub async fn create(&self, uid: &str, document: &Value) -> Result<(), OpgError> {
        let path = lpa_path(uid)?;
        let reply = self
            .send(Method::PUT, &path, Some(document), Access::Write, None)
            .await?;
        expect_success(&reply, Access::Write)
    }

    /// `GET /lpas/{uid}`: `None` when OPG does not hold it.
    pub async fn get(&self, uid: &str) -> Result<Option<Value>, OpgError> {
        Ok(self.read(uid).await?.lpa)
    }

    /// `GET /lpas/{uid}` with freshness (see [`Read`]).
    pub async fn read(&self, uid: &str) -> Result<Read, OpgError> {
        let path = lpa_path(uid)?;
        let reply = self
            .send(Method::GET, &path, None, Access::Read, None)
            .await?;
        let age_s = reply
            .headers
            .get(http::header::AGE)
            .and_then(|v| v.to_str().ok()?.trim().parse().ok());
        if reply.status == StatusCode::NOT_FOUND {
            return Ok(Read { lpa: None, age_s });
        }
        expect_success(&reply, Access::Read)?;
        Ok(Read {
            lpa: Some(decode(&reply.body, Access::Read)?),
            age_s,
        })
    }

    /// `POST /lpas` batch read; unknown uids are left out. Splits into batches of [`BATCH_UIDS_MAX`].
    pub async fn get_many(&self, uids: &[String]) -> Result<Vec<Value>, OpgError> {
        #[derive(Deserialize)]
        struct Batch {
            lpas: Vec<Value>,
        }
        if let Some(bad) = uids.iter().find(|u| !is_valid_uid(u)) {
            return Err(OpgError::local(
                "INVALID_UID",
                format!("`{bad}` is not an LPA uid"),
            ));
        }
        let mut out = Vec::with_capacity(uids.len());
        for chunk in uids.chunks(BATCH_UIDS_MAX) {
            let body = json!({ "uids": chunk });
            let reply = self
                .send(Method::POST, "/lpas", Some(&body), Access::Read, None)
                .await?;
            expect_success(&reply, Access::Read)?;
            let batch: Batch = decode(&reply.body, Access::Read)?;
            out.extend(batch.lpas);
        }
        Ok(out)
    }

    /// `POST /lpas/{uid}/updates`: the updated LPA. `author` (a URN) replaces the configured subject as the
    /// token's `sub`: the store takes an opt-out's actor from it.
    pub async fn update(
        &self,
        uid: &str,
        update: &Update,
        author: Option<&str>,
    ) -> Result<Value, OpgError> {
        let path = format!("{}/updates", lpa_path(uid)?);
        let body = serde_json::to_value(update)
            .map_err(|e| OpgError::local("CLIENT_ERROR", e.to_string()))?;
        let reply = self
            .send(Method::POST, &path, Some(&body), Access::Write, author)
            .await?;
        expect_success(&reply, Access::Write)?;
        decode(&reply.body, Access::Write)
    }

    /// `GET /lpas/{uid}/updates`, newest first as the store answers; `None` when it answers 404 (no such
    /// LPA, or no update yet).
    pub async fn updates(&self, uid: &str) -> Result<Option<Vec<ChangeLogEntry>>, OpgError> {
        let path = format!("{}/updates", lpa_path(uid)?);
        let reply = self
            .send(Method::GET, &path, None, Access::Read, None)
            .await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        expect_success(&reply, Access::Read)?;
        decode(&reply.body, Access::Read).map(Some)
    }

    /// `GET /health-check`: `Ok` when OPG says it is up.
    pub async fn health(&self) -> Result<(), OpgError> {
        let reply = self
            .send(Method::GET, "/health-check", None, Access::Read, None)
            .await?;
        expect_success(&reply, Access::Read)
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        access: Access,
        author: Option<&str>,
    ) -> Result<Reply, OpgError> {
        let now = chrono::Utc::now();
        let token = self
            .signer
            .mint_for(now.timestamp(), author.unwrap_or(self.signer.subject()))
            .map_err(|e| OpgError::local("CLIENT_ERROR", e.to_string()))?;
        let url = format!("{}{path}", self.base_url);
        let bytes = match body {
            Some(b) => {
                serde_json::to_vec(b).map_err(|e| OpgError::local("CLIENT_ERROR", e.to_string()))?
            }
            None => Vec::new(),
        };
        let mut request = self
            .http
            .request(method.clone(), &url)
            .header(JWT_HEADER, format!("Bearer {token}"));
        if let Some(aws) = &self.aws {
            let signed = aws
                .headers(method.as_str(), &url, &bytes, now.into())
                .map_err(|e| OpgError::local("CLIENT_ERROR", e.to_string()))?;
            for (name, value) in signed {
                request = request.header(name, value);
            }
        }
        if body.is_some() {
            request = request
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(bytes);
        }
        let response = request
            .send()
            .await
            .map_err(|e| classify_transport(&e, access))?;
        let status = response.status();
        let headers = response.headers().clone();
        if response
            .content_length()
            .is_some_and(|n| n > RESPONSE_BYTES_MAX as u64)
        {
            return Err(too_large(access));
        }
        // The body can fail too (reset mid-body): same classification as a transport error.
        let body = response
            .bytes()
            .await
            .map_err(|e| classify_transport(&e, access))?;
        if body.len() > RESPONSE_BYTES_MAX {
            return Err(too_large(access));
        }
        Ok(Reply {
            status,
            headers,
            body,
        })
    }
}

fn too_large(access: Access) -> OpgError {
    let detail = format!("response larger than {RESPONSE_BYTES_MAX} bytes");
    match access {
        Access::Read => OpgError::Retryable {
            status: None,
            retry_after_ms: None,
            detail,
        },
        Access::Write => OpgError::Ambiguous {
            status: None,
            detail,
        },
    }
}

fn lpa_path(uid: &str) -> Result<String, OpgError> {
    if is_valid_uid(uid) {
        Ok(format!("/lpas/{uid}"))
    } else {
        Err(OpgError::local(
            "INVALID_UID",
            format!("`{uid}` is not an LPA uid"),
        ))
    }
}

fn expect_success(reply: &Reply, access: Access) -> Result<(), OpgError> {
    if reply.status.is_success() {
        Ok(())
    } else {
        Err(classify_status(
            reply.status,
            &reply.headers,
            &reply.body,
            access,
        ))
    }
}

/// A 2xx whose body does not decode: for a write it was applied (ambiguous about what OPG holds); a read can
/// simply be repeated.
fn decode<T: serde::de::DeserializeOwned>(body: &[u8], access: Access) -> Result<T, OpgError> {
    serde_json::from_slice(body).map_err(|e| {
        let detail = format!("undecodable response: {e}");
        match access {
            Access::Read => OpgError::Retryable {
                status: None,
                retry_after_ms: None,
                detail,
            },
            Access::Write => OpgError::Ambiguous {
                status: None,
                detail,
            },
        }
    })
}

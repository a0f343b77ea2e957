//! AWS Signature V4 settings for requests to the LPA Store (its API Gateway guards every LPA route with
//! `AWS_IAM`). Credentials come from `--opg-aws-*` flags or the standard AWS environment variables
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` or `AWS_DEFAULT_REGION`);
//! without an access key, requests go unsigned (the simulator and the benchmark stub accept that; the real
//! store does not, and `serve` says so at start).

use anyhow::bail;
use clap::Args;
use lpaflow_opg::client::AwsSigning;

/// The region when none is configured: the LPA Store's primary region (its `terraform/account` provider;
/// `eu-west-2` holds the standby). The simulator defaults to the same.
pub const DEFAULT_REGION: &str = lpaflow_opg::simulator::DEFAULT_REGION;

/// `--opg-aws-*`.
#[derive(Clone, Debug, Default, Args)]
pub struct OpgAwsArgs {
    /// AWS region of the LPA Store's API Gateway, for signing (default: AWS_DEFAULT_REGION, else eu-west-1).
    #[arg(long = "opg-aws-region", env = "AWS_REGION")]
    pub region: Option<String>,
    /// AWS access key id that signs requests to the LPA Store (AWS Signature V4, service execute-api).
    #[arg(long = "opg-aws-access-key-id", env = "AWS_ACCESS_KEY_ID")]
    pub access_key_id: Option<String>,
    /// The secret access key of that key id.
    #[arg(
        long = "opg-aws-secret-access-key",
        env = "AWS_SECRET_ACCESS_KEY",
        hide_env_values = true
    )]
    pub secret_access_key: Option<String>,
    /// A session token, with temporary credentials.
    #[arg(
        long = "opg-aws-session-token",
        env = "AWS_SESSION_TOKEN",
        hide_env_values = true
    )]
    pub session_token: Option<String>,
}

impl OpgAwsArgs {
    /// The signing settings, `None` without an access key; a key without its secret (or the other way round)
    /// is refused by name.
    pub fn signing(&self) -> anyhow::Result<Option<AwsSigning>> {
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        match (given(&self.access_key_id), given(&self.secret_access_key)) {
            (None, None) => Ok(None),
            (Some(_), None) => bail!(
                "--opg-aws-access-key-id (AWS_ACCESS_KEY_ID) is set but --opg-aws-secret-access-key (AWS_SECRET_ACCESS_KEY) is not"
            ),
            (None, Some(_)) => bail!(
                "--opg-aws-secret-access-key (AWS_SECRET_ACCESS_KEY) is set but --opg-aws-access-key-id (AWS_ACCESS_KEY_ID) is not"
            ),
            (Some(access_key_id), Some(secret_access_key)) => Ok(Some(AwsSigning {
                region: given(&self.region)
                    .or_else(|| {
                        std::env::var("AWS_DEFAULT_REGION")
                            .ok()
                            .filter(|r| !r.is_empty())
                    })
                    .unwrap_or_else(|| DEFAULT_REGION.to_owned()),
                access_key_id,
                secret_access_key,
                session_token: given(&self.session_token),
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_given_credentials_are_refused_by_name() {
        let args = |k: Option<&str>, s: Option<&str>| OpgAwsArgs {
            region: Some("eu-west-1".into()),
            access_key_id: k.map(str::to_owned),
            secret_access_key: s.map(str::to_owned),
            session_token: None,
        };
        assert!(args(None, None).signing().expect("ok").is_none());
        let err = args(Some("AKID"), None).signing().expect_err("refused");
        assert!(err.to_string().contains("AWS_SECRET_ACCESS_KEY"));
        assert!(args(None, Some("s")).signing().is_err());
        let signing = args(Some("AKID"), Some("s"))
            .signing()
            .expect("ok")
            .expect("some");
        assert_eq!(signing.region, "eu-west-1");
    }
}

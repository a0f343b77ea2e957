//! The engine's OPG steps, parsed: `opg.create` with `{"uid", "lpa"}` and `opg.update:<TYPE>` with
//! `{"uid", "type", "changes", "author"?}` (`docs/opg-api.md`, "Step payloads"), `TYPE` one of the LPA
//! Store's update types. The payload types are the LPA rules' own (`lpaflow_lpa::steps::{CreateStep,
//! UpdateStep}`), so the two sides of the outbox cannot disagree on them. A payload that does not parse is a
//! fatal step error: no retry can fix it.

use serde_json::Value;

use crate::uid::is_valid_uid;
use lpaflow_lpa::lpa_store::{Update, UpdateType};
use lpaflow_lpa::steps::{CreateStep, UpdateStep};

/// The step that creates the LPA in OPG.
pub const CREATE_STEP: &str = "opg.create";

/// The prefix of every update step.
pub const UPDATE_STEP_PREFIX: &str = "opg.update:";

/// A step the client knows how to deliver and check.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// `PUT /lpas/{uid}` with the create body, sent as it is.
    Create { uid: String, lpa: Value },
    /// `POST /lpas/{uid}/updates`; `author` (a URN) is the token's subject when the store takes the actor
    /// from it (opt-outs).
    Update {
        uid: String,
        update: Update,
        author: Option<String>,
    },
}

/// Why a step name or payload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    #[error("unknown step `{0}`")]
    UnknownStep(String),
    #[error("unknown update type `{0}`")]
    UnknownType(String),
    #[error("payload: {0}")]
    Payload(String),
    #[error("payload uid `{0}` is not an LPA uid")]
    Uid(String),
    #[error("payload type `{payload}` differs from the step's `{step}`")]
    TypeMismatch { step: String, payload: String },
}

impl StepError {
    /// A stable code for the outbox row.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownStep(_) => "UNKNOWN_STEP",
            Self::UnknownType(_) => "UNKNOWN_UPDATE_TYPE",
            Self::Payload(_) | Self::TypeMismatch { .. } => "INVALID_PAYLOAD",
            Self::Uid(_) => "INVALID_UID",
        }
    }
}

impl Step {
    pub fn parse(step_name: &str, payload: &Value) -> Result<Self, StepError> {
        if step_name == CREATE_STEP {
            let p: CreateStep = serde_json::from_value(payload.clone())
                .map_err(|e| StepError::Payload(e.to_string()))?;
            if !p.lpa.is_object() {
                return Err(StepError::Payload("`lpa` must be an object".to_owned()));
            }
            check_uid(&p.uid)?;
            return Ok(Self::Create {
                uid: p.uid,
                lpa: p.lpa,
            });
        }
        let Some(type_name) = step_name.strip_prefix(UPDATE_STEP_PREFIX) else {
            return Err(StepError::UnknownStep(step_name.to_owned()));
        };
        let kind: UpdateType = type_name
            .parse()
            .map_err(|_| StepError::UnknownType(type_name.to_owned()))?;
        let p: UpdateStep = serde_json::from_value(payload.clone())
            .map_err(|e| StepError::Payload(e.to_string()))?;
        if p.kind != kind {
            return Err(StepError::TypeMismatch {
                step: type_name.to_owned(),
                payload: p.kind.as_str().to_owned(),
            });
        }
        if let Some(author) = &p.author
            && !author.starts_with("urn:")
        {
            return Err(StepError::Payload(format!(
                "author `{author}` is not a URN"
            )));
        }
        check_uid(&p.uid)?;
        Ok(Self::Update {
            uid: p.uid,
            update: Update {
                kind,
                changes: p.changes,
            },
            author: p.author,
        })
    }

    pub fn uid(&self) -> &str {
        match self {
            Self::Create { uid, .. } | Self::Update { uid, .. } => uid,
        }
    }
}

fn check_uid(uid: &str) -> Result<(), StepError> {
    if is_valid_uid(uid) {
        Ok(())
    } else {
        Err(StepError::Uid(uid.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_both_kinds_and_refuses_the_rest() {
        let create = Step::parse("opg.create", &json!({"uid": "M-AAAA-BBBB-CCCC", "lpa": {}}))
            .expect("create");
        assert_eq!(create.uid(), "M-AAAA-BBBB-CCCC");
        let update = Step::parse(
            "opg.update:ATTORNEY_OPT_OUT",
            &json!({"uid": "M-AAAA-BBBB-CCCC", "type": "ATTORNEY_OPT_OUT", "changes": [],
                    "author": "urn:opg:poas:makeregister:users:9ac5cb7c-fc75-40c7-8e53-059f36dbbe3d"}),
        )
        .expect("update");
        let Step::Update { update, author, .. } = update else {
            panic!("an update")
        };
        assert_eq!(update.kind, UpdateType::AttorneyOptOut);
        assert!(author.is_some_and(|a| a.ends_with("059f36dbbe3d")));
        assert_eq!(
            Step::parse("opg.nope", &json!({})).map_err(|e| e.code()),
            Err("UNKNOWN_STEP")
        );
        assert_eq!(
            Step::parse("opg.update:DONOR_SIGN", &json!({})).map_err(|e| e.code()),
            Err("UNKNOWN_UPDATE_TYPE"),
            "not an LPA Store update type"
        );
        assert_eq!(
            Step::parse(
                "opg.update:REGISTER",
                &json!({"uid": "M-AAAA-BBBB-CCCC", "type": "DONOR_WITHDRAW_LPA"})
            )
            .map_err(|e| e.code()),
            Err("INVALID_PAYLOAD")
        );
        assert_eq!(
            Step::parse(
                "opg.update:REGISTER",
                &json!({"uid": "M-AAAA-BBBB-CCCC", "type": "REGISTER", "author": "lpaflow"})
            )
            .map_err(|e| e.code()),
            Err("INVALID_PAYLOAD")
        );
        assert_eq!(
            Step::parse("opg.create", &json!({"uid": "../x", "lpa": {}})).map_err(|e| e.code()),
            Err("INVALID_UID")
        );
    }
}

//! Who works a case: a caseworker claims an LPA (or gives it to a colleague) and releases it. The owner is part
//! of the LPA's data and each change is an event in its history, so an auditor sees who had the case when a
//! decision was made; queues read it from the `owner:<actor>` label ([`crate::labels`]). Owning a case
//! decides nothing: any caseworker may still act on it.

use crate::actions::read_payload;
use crate::data::LpaData;
use chrono::{DateTime, Utc};
use lpaflow_core::{ActionError, Context, Unmet};
use serde::{Deserialize, Serialize};

/// The longest caseworker id (as the longest token subject).
const MAX_ID_BYTES: usize = 256;

/// The caseworker who has the case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseOwner {
    /// The caseworker (an actor id).
    pub actor: String,
    /// Since when.
    pub since: DateTime<Utc>,
    /// Who gave it to them (themselves for a claim).
    pub assigned_by: String,
}

/// `lpa.assign_case`: `{to?}`; without `to` the caller claims the case.
pub(crate) fn assign(ctx: &Context<'_>, data: &mut LpaData) -> Result<(), ActionError> {
    // A caseworker's id is a token subject: one word (emails and `auth0|...` are fine).
    let to = read_payload(ctx, &["to"], |o, p| o.opt_text("to", p))?
        .unwrap_or_else(|| ctx.actor.to_string());
    if to.chars().any(char::is_whitespace) || to.len() > MAX_ID_BYTES {
        return Err(ActionError::Invalid(vec![
            lpaflow_core::PayloadProblem::new(
                "/to",
                format!("is not a caseworker's id: one word of at most {MAX_ID_BYTES} bytes"),
            ),
        ]));
    }
    if data.case_owner.as_ref().is_some_and(|o| o.actor == to) {
        return Err(ActionError::Refused(vec![Unmet::new(
            "already_assigned",
            if to == ctx.actor.as_str() {
                "you already have this case".to_owned()
            } else {
                "that caseworker already has this case".to_owned()
            },
        )]));
    }
    data.case_owner = Some(CaseOwner {
        actor: to,
        since: ctx.now,
        assigned_by: ctx.actor.to_string(),
    });
    Ok(())
}

/// What stops a case being released: nobody has it.
pub(crate) fn can_release(data: &LpaData) -> Vec<Unmet> {
    if data.case_owner.is_some() {
        Vec::new()
    } else {
        vec![Unmet::new("not_assigned", "nobody has this case")]
    }
}

/// `lpa.release_case`: `{}`; the case goes back to the queue.
pub(crate) fn release(ctx: &Context<'_>, data: &mut LpaData) -> Result<(), ActionError> {
    read_payload(ctx, &[], |_, _| ())?;
    data.case_owner = None;
    Ok(())
}

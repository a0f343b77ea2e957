//! The benchmark workload as an lpaflow workflow (`shared/bench/workload.md` section 3):
//!
//! - steps 1-3 (record_created, safeguarding_check, discount_eligibility) are one creation commit: the two
//!   rule steps are pure functions of the payload, so a crash can never make them run again with a different
//!   result, and their outputs are stored with the application;
//! - step 4 (sync_to_opg) is an outbox step, delivered at least once (the stub has no read-back), retried
//!   0.1 s, 0.2 s, 0.4 s ... 2 s without jitter; its output (`opg_ref`) is committed in the same transaction
//!   as the step's completion and the next step;
//! - step 5 (statutory_wait) is a state timer when `WAIT_S > 0`, and left out at 0 or `skip`;
//! - step 6 (register) is the transition to `registered`, exactly once: its history entry is the registration
//!   record (append-only, not de-duplicated: a second execution would be a second entry).

use super::super::payload::{Payload, canonical, discount_eligibility, safeguarding_check};
use lpaflow_core::{
    ActionError, ActionName, ActionOutcome, Catalog, Context, Data, GuardName, PayloadProblem,
    Reading, Rules, StepName, Unmet,
};
use serde_json::{Value, json};

/// The step that POSTs to the stub.
pub const STUB_STEP: &str = "stub.post";
/// The event the stub step's handler reports on success (it carries `opg_ref`).
pub const SYNCED_EVENT: &str = "opg_synced";

/// The workflow's text for a statutory wait of `wait_s` seconds (0: no wait).
pub fn definition_text(wait_s: u64) -> String {
    let mut text = String::from(
        r#"name = "workload"
version = 1
description = "The engine-neutral benchmark workload (shared/bench/workload.md)"
initial = "created"

[states.created]
[states.syncing]
[states.registered]
terminal = true
[states.rejected]
terminal = true

[create]
roles = ["worker"]
action = "workload.record_created"

[[transitions]]
event = "sync_to_opg"
from = ["created"]
to = "syncing"
automatic = true
guard = "workload.safeguarding_passed"
steps = ["stub.post"]

[[transitions]]
event = "reject"
from = ["created"]
to = "rejected"
automatic = true
guard = "workload.safeguarding_failed"
"#,
    );
    if wait_s == 0 {
        text.push_str(
            r#"
[[transitions]]
event = "opg_synced"
from = ["syncing"]
to = "registered"
roles = ["system"]
action = "workload.register"
"#,
        );
    } else {
        text.push_str(&format!(
            r#"
[states.waiting]
timers = [{{ name = "statutory_wait", after = "{wait_s}s", event = "wait_over" }}]

[[transitions]]
event = "opg_synced"
from = ["syncing"]
to = "waiting"
roles = ["system"]
action = "workload.record_opg"

[[transitions]]
event = "wait_over"
from = ["waiting"]
to = "registered"
roles = ["system"]
action = "workload.register"
"#
        ));
    }
    text
}

/// The workload's guards and actions.
#[derive(Clone, Copy, Debug, Default)]
pub struct WorkloadRules;

fn invalid(detail: impl Into<String>) -> ActionError {
    ActionError::Invalid(vec![PayloadProblem::new("", detail)])
}

impl Rules for WorkloadRules {
    fn catalog(&self) -> Catalog {
        Catalog::new(
            &["worker"],
            &[
                "workload.safeguarding_passed",
                "workload.safeguarding_failed",
            ],
            &[
                "workload.record_created",
                "workload.record_opg",
                "workload.register",
            ],
            &[STUB_STEP],
        )
    }

    fn check_guard(&self, guard: &GuardName, ctx: &Context<'_>) -> Vec<Unmet> {
        let passed = ctx.instance.data["safeguarding"]["passed"]
            .as_bool()
            .unwrap_or(false);
        let holds = match guard.as_str() {
            "workload.safeguarding_passed" => passed,
            _ => !passed,
        };
        if holds {
            Vec::new()
        } else {
            vec![Unmet::new(
                "safeguarding",
                "the safeguarding result does not allow it",
            )]
        }
    }

    fn apply_action(
        &self,
        action: &ActionName,
        ctx: &Context<'_>,
    ) -> Result<ActionOutcome, ActionError> {
        let mut data = ctx.instance.data.clone();
        match action.as_str() {
            "workload.record_created" => {
                let payload: Payload = serde_json::from_value(ctx.payload.clone())
                    .map_err(|e| invalid(format!("not a workload payload: {e}")))?;
                data = Data::from(json!({
                    "lpa_id": payload.lpa_id,
                    "status": "created",
                    "payload": ctx.payload,
                    "safeguarding": safeguarding_check(&payload),
                    "discount": discount_eligibility(&payload),
                }));
            }
            "workload.record_opg" | "workload.register" => {
                if let Some(r) = ctx.payload.get("opg_ref") {
                    data.set("opg_ref", r.clone());
                    data.set(
                        "opg_attempts",
                        ctx.payload.get("attempts").cloned().unwrap_or(Value::Null),
                    );
                }
                if action.as_str() == "workload.register" {
                    let lpa_id = data["lpa_id"].as_str().unwrap_or_default().to_owned();
                    data.set("status", json!("registered"));
                    data.set("fee_pence", data["discount"]["fee_pence"].clone());
                    data.set("registered_at", json!(ctx.now));
                    data.set(
                        "registration_no",
                        json!(format!(
                            "R-{}",
                            lpa_id
                                .strip_prefix("M-")
                                .or_else(|| lpa_id.strip_prefix("W-"))
                                .unwrap_or(&lpa_id)
                        )),
                    );
                }
            }
            other => return Err(invalid(format!("unknown action {other}"))),
        }
        Ok(ActionOutcome {
            data,
            ..ActionOutcome::default()
        })
    }

    fn step_payload(
        &self,
        _step: &StepName,
        ctx: &Context<'_>,
        data_after: &Data,
        _reading_after: &Reading,
    ) -> Option<Value> {
        // The stub's request body, serialized once here in the workload's canonical key order.
        let payload: Payload = serde_json::from_value(data_after["payload"].clone()).ok()?;
        let discount = discount_eligibility(&payload);
        let body = StubRequest {
            lpa_id: &payload.lpa_id,
            lpa_type: &payload.lpa_type,
            donor_name: &payload.donor.name,
            fee_band: &discount.band,
            fee_pence: discount.fee_pence,
            lpa: &payload,
        };
        let _ = ctx;
        Some(json!({ "lpa_id": payload.lpa_id, "body": canonical(&body) }))
    }
}

#[derive(serde::Serialize)]
struct StubRequest<'a> {
    lpa_id: &'a str,
    #[serde(rename = "type")]
    lpa_type: &'a str,
    donor_name: &'a str,
    fee_band: &'a str,
    fee_pence: u32,
    lpa: &'a Payload,
}

//! `explain` over LPAs driven through the real workflow.

mod common;

use common::{Lpa, application, application_with};
use lpaflow_lpa::{Explanation, LpaRules, explain};
use serde_json::json;

fn explained(lpa: &Lpa) -> Explanation {
    explain(&lpa.def, &LpaRules::default(), &lpa.instance, lpa.now)
}

fn refusal<'a>(e: &'a Explanation, role: &str, event: &str) -> &'a lpaflow_lpa::explain::Refusal {
    let r = e
        .roles
        .iter()
        .find(|r| r.role == role)
        .expect("role explained");
    r.refused
        .iter()
        .find(|x| x.event == event)
        .unwrap_or_else(|| {
            panic!(
                "{event} is not refused for {role}: may fire {:?}",
                r.may_fire
            )
        })
}

fn may_fire(e: &Explanation, role: &str) -> Vec<String> {
    e.roles
        .iter()
        .find(|r| r.role == role)
        .expect("role explained")
        .may_fire
        .clone()
}

#[test]
fn explains_who_may_do_what_and_why_not() {
    let lpa = Lpa::ready_to_sign(application());
    let e = explained(&lpa);
    assert_eq!(e.state, "signing");
    assert_eq!(
        e.status.as_ref().map(ToString::to_string).as_deref(),
        Some("in-progress")
    );
    let missing: Vec<&str> = e.missing_signatures.iter().map(|m| m.role).collect();
    assert_eq!(
        missing,
        ["donor", "certificateProvider", "attorney", "attorney"]
    );
    assert_eq!(e.fee.as_ref().map(|f| f.amounts.balance_pence), Some(0));

    let service = may_fire(&e, "service");
    for event in [
        "update_application",
        "sign_as_donor",
        "record_payment",
        "withdraw",
        "attorney_opt_out",
    ] {
        assert!(
            service.contains(&event.to_owned()),
            "{event} in {service:?}"
        );
    }
    let cp = refusal(&e, "service", "sign_as_certificate_provider");
    assert_eq!(cp.code, "guard_failed");
    assert_eq!(cp.unmet[0].code, "donor_not_signed_yet");
    let waiting = refusal(&e, "service", "enter_waiting_period");
    assert_eq!(
        waiting.unmet.len(),
        4,
        "each missing signature: {waiting:?}"
    );
    // An online LPA: caseworkers record signatures only for paper ones.
    let cw_sign = refusal(&e, "caseworker", "sign_as_donor");
    assert_eq!(
        (cw_sign.code.as_str(), cw_sign.unmet[0].code.as_str()),
        ("guard_failed", "not_on_paper")
    );
    assert_eq!(refusal(&e, "caseworker", "withdraw").code, "forbidden");
    assert_eq!(
        refusal(&e, "caseworker", "uphold_objection").code,
        "not_allowed_in_state"
    );
    assert_eq!(
        refusal(&e, "caseworker", "accept_finding").unmet[0].code,
        "no_open_finding"
    );
    assert!(may_fire(&e, "auditor").is_empty());
    assert!(
        e.roles
            .iter()
            .all(|r| r.refused.iter().all(|x| x.event != "fee_settled")),
        "automatic-only events are listed apart"
    );
}

#[test]
fn explains_findings_fees_deadlines_and_renders_as_text_and_json() {
    let mut lpa = Lpa::create(application_with(json!({
        "certificateProvider": {"relationship": "personal", "knownForYears": 1},
        "fee": {"claimedType": "HalfFee", "grossAnnualIncomePence": 900_000}
    })));
    lpa.service(
        "confirm_donor_identity",
        json!({"type": "one-login", "checkedAt": lpa.now.to_rfc3339()}),
    );
    let e = explained(&lpa);
    assert_eq!(e.open_findings.len(), 1);
    assert_eq!(
        e.open_findings[0].rule.to_string(),
        "certificate_provider.known_too_briefly"
    );
    let submit = refusal(&e, "service", "submit");
    assert_eq!(submit.unmet[0].code, "blocking_finding");
    assert!(e.fee.as_ref().is_some_and(|f| f.amounts.reduction_pending));
    assert_eq!(e.deadlines.len(), 1);
    assert_eq!(e.deadlines[0].deadline.last_day.to_string(), "2026-07-05");

    let text = e.to_string();
    assert!(
        text.contains("LPA M-QWER-TY34-6789 (revision 2): created [in-progress]"),
        "{text}"
    );
    assert!(
        text.contains("certificate_provider.known_too_briefly"),
        "{text}"
    );
    let value = serde_json::to_value(&e).expect("serialisable");
    assert_eq!(value["openFindings"][0]["severity"], "blocking");
    assert_eq!(value["deadlines"][0]["status"], "open");
    assert_eq!(value["roles"][0]["role"], "service");
}

//! Input that must be refused cleanly (issue 17, point 6): control, bidirectional and zero-width characters in
//! text, dates of birth out of range, and `limit` out of range are each 422 naming the field, never stored and
//! never a 5xx.

use crate::common::{Harness, application_with};
use axum::http::StatusCode;
use lpaflow_api::Role;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_with_control_bidi_or_zero_width_characters_are_422_with_their_pointer() {
    let h = Harness::start().await;
    for name in [
        "Ada\0",
        "Ada\u{202e}",
        "A\u{200b}da",
        "\u{feff}Ada",
        "Ada\nLovelace",
        "A\u{85}da",
    ] {
        let r = h
            .post("/v1/lpas")
            .role(Role::Service)
            .json(&application_with(json!({"donor": {"firstNames": name}})))
            .send()
            .await;
        r.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(r.pointers(), ["/donor/firstNames"], "{name:?}");
    }
    let fine = h
        .post("/v1/lpas")
        .role(Role::Service)
        .json(&application_with(
            json!({"donor": {"firstNames": "Zoë Ó'Brien"}}),
        ))
        .send()
        .await;
    assert_eq!(fine.status, StatusCode::CREATED, "{}", fine.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_date_of_birth_before_1900_is_422() {
    let h = Harness::start().await;
    for dob in ["0000-01-01", "1899-12-31"] {
        let r = h
            .post("/v1/lpas")
            .role(Role::Service)
            .json(&application_with(json!({"donor": {"dateOfBirth": dob}})))
            .send()
            .await;
        r.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(r.pointers(), ["/donor/dateOfBirth"], "{dob}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nul_or_an_override_in_a_maintenance_reason_is_422_and_line_breaks_are_fine() {
    let h = Harness::start().await;
    let window = |reason: &str| json!({"from": "2030-01-01T00:00:00Z", "to": "2030-01-01T01:00:00Z", "reason": reason});
    for reason in ["upgrade\0", "upgrade\u{202e}", "up\u{1b}[31mgrade"] {
        let r = h
            .post("/v1/opg/maintenance")
            .role(Role::Admin)
            .json(&window(reason))
            .send()
            .await;
        r.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(r.pointers(), ["/reason"]);
    }
    let ok = h
        .post("/v1/opg/maintenance")
        .role(Role::Admin)
        .json(&window("database upgrade\nsecond line"))
        .send()
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_limit_out_of_range_is_422_naming_it() {
    let h = Harness::start().await;
    let uid = h.create().await;
    for path in [format!("/v1/lpas/{uid}/history"), "/v1/lpas".to_owned()] {
        for limit in ["0", "100000"] {
            let r = h
                .get(&format!("{path}?limit={limit}"))
                .role(Role::Caseworker)
                .send()
                .await;
            r.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
            assert_eq!(r.pointers(), ["/limit"], "{path}?limit={limit}");
        }
        let r = h
            .get(&format!("{path}?limit=1"))
            .role(Role::Caseworker)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_whose_subject_hides_characters_is_refused() {
    let h = Harness::start().await;
    for sub in ["svc\u{202e}", "svc\u{200b}", "svc\u{85}"] {
        let token = h.auth.issue(sub, Role::Service, 60).unwrap();
        h.get("/v1/opg/status")
            .bearer(&token)
            .send()
            .await
            .problem(StatusCode::UNAUTHORIZED, "invalid_token");
    }
}

//! Issue 16 item 1 through the API: `GET /v1/lpas?q=` finds LPAs by part of a reference for every lister and by
//! names, postcodes and dates of birth for caseworkers only; `owner=me`; every sort pages each LPA exactly once;
//! `POST /v1/lpas/next-case` claims the most urgent case nobody has, and never the same case twice.

use crate::common::{Harness, uid_of};
use axum::http::StatusCode;
use lpaflow_api::Role;
use lpaflow_test_support::lpa_application::{application_with, paper_application};
use serde_json::{Value, json};

async fn found(h: &Harness, role: Role, query: &str) -> Vec<String> {
    let r = h.get(&format!("/v1/lpas?{query}")).role(role).send().await;
    assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text());
    r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["uid"].as_str().unwrap().to_owned())
        .collect()
}

fn donor(first: &str, last: &str, born: &str, postcode: &str) -> Value {
    application_with(
        json!({"donor": {"firstNames": first, "lastName": last, "dateOfBirth": born,
        "address": {"line1": "1 Road", "town": "Leeds", "postcode": postcode, "country": "GB"}}}),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caseworkers_find_lpas_by_name_postcode_date_of_birth_and_part_of_a_reference() {
    let h = &Harness::start().await;
    let ada = uid_of(
        &h.create_with(donor("Ada", "Lovelace", "1950-01-31", "LS1 1AA"))
            .await,
    );
    let grace = uid_of(&h.create_with(paper_application()).await);
    let alan = uid_of(
        &h.create_with(donor("Alan", "Turing", "1912-06-23", "M1 1AE"))
            .await,
    );

    let cw = Role::Caseworker;
    assert_eq!(found(h, cw, "q=lovelace").await, [ada.as_str()]);
    assert_eq!(
        found(h, cw, "q=Love").await,
        [ada.as_str()],
        "a prefix of a name"
    );
    assert_eq!(found(h, cw, "q=Grace%20Hopper").await, [grace.as_str()]);
    assert_eq!(
        found(h, cw, "q=ada%20turing").await,
        Vec::<String>::new(),
        "every word must match"
    );
    assert_eq!(
        found(h, cw, "q=YO21%203PU").await,
        [grace.as_str()],
        "a postcode"
    );
    assert_eq!(
        found(h, cw, "q=yo21").await,
        [grace.as_str()],
        "its outward code"
    );
    assert_eq!(
        found(h, cw, "q=23/06/1912").await,
        [alan.as_str()],
        "a date of birth"
    );
    assert_eq!(
        found(h, cw, "q=Aiken").await,
        [grace.as_str()],
        "an attorney's name"
    );
    let middle = &alan[7..11];
    assert_eq!(
        found(h, cw, &format!("q={middle}")).await,
        [alan.as_str()],
        "part of a reference"
    );

    // Auditors and admins list LPAs but do not search by personal data.
    for role in [Role::Auditor, Role::Admin] {
        assert_eq!(
            found(h, role, "q=lovelace").await,
            Vec::<String>::new(),
            "{role}"
        );
        assert_eq!(
            found(h, role, &format!("q={middle}")).await,
            [alan.as_str()],
            "{role}"
        );
        let r = h.get("/v1/lpas?q=x").role(role).send().await;
        assert!(!r.text().contains("Lovelace"), "{role}");
    }
    let too_many = h
        .get("/v1/lpas?q=a%20b%20c%20d%20e%20f%20g%20h%20i")
        .role(cw)
        .send()
        .await;
    assert_eq!(
        too_many.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        too_many.text()
    );
    assert!(too_many.text().contains("/q"), "{}", too_many.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sort_pages_through_each_lpa_once_and_the_donor_sort_is_by_last_name() {
    let h = &Harness::start().await;
    let mut made = Vec::new();
    for (first, last) in [
        ("Zoe", "Adams"),
        ("Amy", "Young"),
        ("Bob", "Marsh"),
        ("Cy", "Marsh"),
        ("Di", "Clark"),
    ] {
        made.push(uid_of(
            &h.create_with(donor(first, last, "1960-01-01", "LS1 1AA"))
                .await,
        ));
    }
    let by_donor = found(h, Role::Caseworker, "sort=donor&limit=50").await;
    let expected: Vec<&str> = [0, 4, 2, 3, 1].iter().map(|i| made[*i].as_str()).collect();
    assert_eq!(by_donor, expected);
    for sort in [
        "created",
        "-created",
        "updated",
        "-updated",
        "reference",
        "-reference",
        "donor",
        "-donor",
    ] {
        let mut paged = Vec::new();
        let mut cursor = String::new();
        loop {
            let r = h
                .get(&format!("/v1/lpas?sort={sort}&limit=2{cursor}"))
                .role(Role::Caseworker)
                .send()
                .await;
            assert_eq!(r.status, StatusCode::OK, "{sort}: {}", r.text());
            let page = r.json();
            paged.extend(
                page["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i["uid"].as_str().unwrap().to_owned()),
            );
            match page["nextCursor"].as_str() {
                Some(c) => {
                    let hex: String = "Marsh".bytes().map(|b| format!("{b:02x}")).collect();
                    assert!(
                        !c.contains("Marsh") && !c.to_lowercase().contains(&hex),
                        "a cursor carries no name: {c}"
                    );
                    cursor = format!("&cursor={c}");
                }
                None => break,
            }
        }
        assert_eq!(
            paged,
            found(h, Role::Caseworker, &format!("sort={sort}&limit=50")).await,
            "{sort}"
        );
        let mut once = paged.clone();
        once.sort();
        once.dedup();
        assert_eq!(once.len(), made.len(), "{sort}: each LPA once");
    }
    let bad = h
        .get("/v1/lpas?sort=age")
        .role(Role::Caseworker)
        .send()
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text().contains("donor"),
        "the valid sorts are named: {}",
        bad.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_case_claims_the_most_urgent_case_nobody_has_and_my_cases_lists_it() {
    let h = &Harness::start().await;
    let plain = h.create().await;
    let reduced = uid_of(
        &h.create_with(application_with(
            json!({"fee": {"claimedType": "HalfFee", "grossAnnualIncomePence": 900000}}),
        ))
        .await,
    );
    h.fire_ok(&reduced, Role::Service, "submit", json!({}))
        .await;
    h.fire_ok(
        &reduced,
        Role::Service,
        "provide_fee_evidence",
        json!({"kind": "income", "reference": "P60"}),
    )
    .await;
    let paper = uid_of(&h.create_with(paper_application()).await);

    let take = |role: Role| async move { h.post("/v1/lpas/next-case").role(role).send().await };
    let first = take(Role::Caseworker).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    assert_eq!(
        first.json()["uid"],
        paper.as_str(),
        "a blocking finding (the same last name) before a fee decision alone"
    );
    let second = take(Role::Caseworker).await;
    assert_eq!(
        second.json()["uid"],
        reduced.as_str(),
        "never the same case twice"
    );
    let none = take(Role::Caseworker).await;
    assert_eq!(
        none.status,
        StatusCode::NO_CONTENT,
        "the plain LPA {plain} needs nobody: {}",
        none.text()
    );
    assert_eq!(take(Role::Auditor).await.status, StatusCode::FORBIDDEN);

    let mine = found(h, Role::Caseworker, "owner=me&sort=reference").await;
    let mut expected = vec![reduced.clone(), paper.clone()];
    expected.sort();
    assert_eq!(mine, expected);
    let view = h.view(&paper, Role::Caseworker).await;
    assert_eq!(view["caseOwner"]["actor"], "test-caseworker", "{view}");
    h.fire_ok(&paper, Role::Caseworker, "release_case", json!({}))
        .await;
    assert_eq!(
        found(h, Role::Caseworker, "owner=me").await,
        [reduced.as_str()]
    );
    let bad = h
        .get("/v1/lpas?owner=two%20words")
        .role(Role::Caseworker)
        .send()
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad.text()
    );
}

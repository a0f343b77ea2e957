//! `GET /v1/lpas`: the caseworker queues. Filters combine, bad ones are 422 naming each, cursors page through
//! every LPA exactly once in (creation, uid) order, and a bad cursor is 400.

use crate::common::{Harness, blocked_application, uid_of};
use axum::http::StatusCode;
use lpaflow_api::Role;
use serde_json::Value;

async fn page(h: &Harness, query: &str) -> Value {
    let r = h
        .get(&format!("/v1/lpas?{query}"))
        .role(Role::Caseworker)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text());
    r.json()
}

async fn uids(h: &Harness, query: &str) -> Vec<String> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("{query}&cursor={c}"),
            None => query.to_owned(),
        };
        let p = page(h, &q).await;
        all.extend(
            p["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["uid"].as_str().unwrap().to_owned()),
        );
        match p["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return all,
        }
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_select_by_state_finding_label_and_sync_status() {
    let h = Harness::start().await;
    let fresh = h.create().await;
    let signing = h.sent_to_opg().await;
    let blocked = uid_of(&h.create_with(blocked_application()).await);

    assert_eq!(uids(&h, "state=signing").await, [signing.as_str()]);
    assert_eq!(
        sorted(uids(&h, "state=created").await),
        sorted(vec![fresh.clone(), blocked.clone()])
    );
    assert_eq!(uids(&h, "state=registered").await, Vec::<String>::new());
    assert_eq!(uids(&h, "finding=blocking").await, [blocked.as_str()]);
    assert_eq!(uids(&h, "finding=open").await, [blocked.as_str()]);
    assert_eq!(uids(&h, "label=finding:blocking").await, [blocked.as_str()]);
    assert_eq!(
        uids(&h, "finding=blocking&label=finding:blocking").await,
        [blocked.as_str()],
        "the same filter twice is allowed"
    );
    assert_eq!(uids(&h, "label=objection:open").await, Vec::<String>::new());
    // Nothing delivers steps here: the signed LPA's create stays pending; the others have none.
    assert_eq!(uids(&h, "sync=pending").await, [signing.as_str()]);
    assert_eq!(
        sorted(uids(&h, "sync=synced").await),
        sorted(vec![fresh.clone(), blocked.clone()])
    );
    assert_eq!(uids(&h, "state=created&finding=blocking").await, [blocked]);
    assert_eq!(
        uids(&h, "state=signing&sync=synced").await,
        Vec::<String>::new()
    );
    let item = &page(&h, "state=signing").await["items"][0];
    assert_eq!(item["uid"], signing.as_str());
    assert_eq!(item["workflow"], "lpa");
    assert_eq!(item["syncStatus"], "pending");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_filters_are_422_naming_each_one() {
    let h = Harness::start().await;
    let r = h
        .get("/v1/lpas?state=nowhere&finding=maybe&sync=later&limit=0")
        .role(Role::Caseworker)
        .send()
        .await;
    r.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.pointers(), ["/state", "/finding", "/sync", "/limit"]);
    for (query, pointer) in [
        ("label=vip", "/label"),
        ("finding=open&label=fee:refund_due", "/label"),
        ("limit=501", "/limit"),
    ] {
        let r = h
            .get(&format!("/v1/lpas?{query}"))
            .role(Role::Caseworker)
            .send()
            .await;
        r.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(r.pointers(), [pointer], "{query}");
    }
    for query in ["limit=many", "limit=-1", "explain=3&limit=1.5"] {
        h.get(&format!("/v1/lpas?{query}"))
            .role(Role::Caseworker)
            .send()
            .await
            .problem(StatusCode::BAD_REQUEST, "invalid_query");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cursor_that_was_not_issued_is_400_invalid_cursor() {
    let h = Harness::start().await;
    h.create().await;
    for cursor in ["garbage", "eyJ4IjoxfQ", "%00%01"] {
        h.get(&format!("/v1/lpas?cursor={cursor}"))
            .role(Role::Caseworker)
            .send()
            .await
            .problem(StatusCode::BAD_REQUEST, "invalid_cursor");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cursors_page_through_every_lpa_once_in_creation_order_even_while_lpas_are_created() {
    let h = Harness::start().await;
    let mut created = Vec::new();
    for _ in 0..5 {
        created.push(h.create().await);
    }
    let first = page(&h, "limit=2").await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        page(&h, "limit=2").await,
        first,
        "a page read twice is the same"
    );
    // An LPA created while a caseworker pages through sorts after every one already listed.
    created.push(h.create().await);
    let mut seen: Vec<Value> = first["items"].as_array().unwrap().clone();
    let mut cursor = first["nextCursor"].as_str().map(str::to_owned);
    let mut pages = 1;
    while let Some(c) = cursor {
        let p = page(&h, &format!("limit=2&cursor={c}")).await;
        seen.extend(p["items"].as_array().unwrap().iter().cloned());
        cursor = p["nextCursor"].as_str().map(str::to_owned);
        pages += 1;
    }
    assert_eq!(pages, 3, "six LPAs in pages of two");
    let keys: Vec<(String, String)> = seen
        .iter()
        .map(|i| {
            (
                i["createdAt"].as_str().unwrap().to_owned(),
                i["uid"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut ordered = keys.clone();
    ordered.sort();
    assert_eq!(keys, ordered, "(createdAt, uid) order");
    let listed: Vec<String> = keys.into_iter().map(|(_, u)| u).collect();
    assert_eq!(sorted(listed), sorted(created), "each LPA exactly once");
    assert!(
        page(&h, "limit=6").await.get("nextCursor").is_none(),
        "the last page has no cursor"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_may_not_list_lpas() {
    let h = Harness::start().await;
    h.get("/v1/lpas")
        .role(Role::Service)
        .send()
        .await
        .problem(StatusCode::FORBIDDEN, "forbidden");
    for role in [Role::Caseworker, Role::Auditor, Role::Admin] {
        let r = h.get("/v1/lpas").role(role).send().await;
        assert_eq!(r.status, StatusCode::OK, "{role}");
    }
}

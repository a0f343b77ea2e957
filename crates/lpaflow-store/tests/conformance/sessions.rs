//! Console sessions held by the server (issue 17): recorded, read back exactly, touched, ended once (sign-out or
//! revocation), ended for a subject's other roles, and listed while open and not expired.

use crate::conformance;
use crate::harness::fixture;
use chrono::TimeDelta;
use lpaflow_store::ConsoleSession;
use lpaflow_test_support::TestDb;
use lpaflow_test_support::fixture::t0;

conformance!(
    a_session_is_kept_touched_and_ended_once,
    signing_in_under_another_role_ends_the_subjects_other_sessions,
    only_open_unexpired_sessions_are_listed,
);

fn session(id: &str, subject: &str, role: &str) -> ConsoleSession {
    ConsoleSession {
        id: id.to_owned(),
        subject: subject.to_owned(),
        role: role.to_owned(),
        created_at: t0(),
        last_seen_at: t0(),
        expires_at: t0() + TimeDelta::hours(8),
        ended_at: None,
        ended_why: None,
    }
}

async fn a_session_is_kept_touched_and_ended_once(db: &TestDb) {
    let f = fixture(db).await;
    let s = session("a1", "ada", "caseworker");
    f.store.start_session(&s).await.unwrap();
    assert_eq!(f.store.session("a1").await.unwrap(), Some(s.clone()));
    assert_eq!(f.store.session("nope").await.unwrap(), None);

    let later = t0() + TimeDelta::minutes(5);
    f.store.touch_session("a1", later).await.unwrap();
    assert_eq!(
        f.store.session("a1").await.unwrap().unwrap().last_seen_at,
        later
    );
    assert!(
        f.store
            .end_session("a1", later, "signed out")
            .await
            .unwrap()
    );
    assert!(
        !f.store.end_session("a1", later, "again").await.unwrap(),
        "an ended session ends once"
    );
    let ended = f.store.session("a1").await.unwrap().unwrap();
    assert_eq!(ended.ended_at, Some(later));
    assert_eq!(ended.ended_why.as_deref(), Some("signed out"));
    f.store
        .touch_session("a1", later + TimeDelta::minutes(1))
        .await
        .unwrap();
    assert_eq!(
        f.store.session("a1").await.unwrap().unwrap().last_seen_at,
        later,
        "an ended session is not touched"
    );
}

async fn signing_in_under_another_role_ends_the_subjects_other_sessions(db: &TestDb) {
    let f = fixture(db).await;
    for s in [
        session("c1", "ada", "caseworker"),
        session("c2", "ada", "caseworker"),
        session("a1", "ada", "admin"),
        session("x1", "bob", "admin"),
    ] {
        f.store.start_session(&s).await.unwrap();
    }
    let ended = f
        .store
        .end_other_role_sessions("ada", "admin", t0(), "role changed")
        .await
        .unwrap();
    assert_eq!(ended, 2);
    for (id, open) in [("c1", false), ("c2", false), ("a1", true), ("x1", true)] {
        let s = f.store.session(id).await.unwrap().unwrap();
        assert_eq!(s.ended_at.is_none(), open, "{id}");
    }
}

async fn only_open_unexpired_sessions_are_listed(db: &TestDb) {
    let f = fixture(db).await;
    let mut old = session("old", "ada", "caseworker");
    old.expires_at = t0() + TimeDelta::minutes(1);
    let mut recent = session("recent", "bob", "auditor");
    recent.last_seen_at = t0() + TimeDelta::minutes(2);
    for s in [
        old,
        recent,
        session("gone", "cy", "admin"),
        session("quiet", "di", "service"),
    ] {
        f.store.start_session(&s).await.unwrap();
    }
    f.store.end_session("gone", t0(), "revoked").await.unwrap();
    let now = t0() + TimeDelta::minutes(3);
    let open: Vec<String> = f
        .store
        .open_sessions(now, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(open, ["recent", "quiet"], "most recently used first");
    assert_eq!(f.store.open_sessions(now, 1).await.unwrap().len(), 1);
}

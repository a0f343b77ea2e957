//! Lists for the caseworker queues: filters by state, label and sync status, stable cursor pagination; the
//! instances' data of one workflow in uid pages (reports).

use crate::conformance;
use crate::harness::{Fixture, author, fixture};
use chrono::TimeDelta;
use lpaflow_store::{Error, ListQuery, MAX_PAGE, SyncStatus};
use lpaflow_test_support::TestDb;
use lpaflow_test_support::fixture::{document_named, t0, uid};
use serde_json::json;

conformance!(
    lists_filter_and_paginate_stably,
    labels_filter_lists,
    bad_cursors_are_refused,
    instances_data_pages_one_workflow_in_uid_order
);

fn query(limit: u32) -> ListQuery {
    ListQuery {
        limit,
        ..ListQuery::default()
    }
}

async fn lists_filter_and_paginate_stably(db: &TestDb) {
    let f = fixture(db).await;
    for n in 0..25u64 {
        f.create(
            &uid(800 + n),
            json!({}),
            t0() + TimeDelta::seconds(n as i64),
        )
        .await;
        if n % 5 == 0 {
            f.fire(&uid(800 + n), &author("submit"), t0())
                .await
                .unwrap();
        }
    }
    let mut seen = Vec::new();
    let mut q = query(10);
    loop {
        let page = f.store.list(&q).await.unwrap();
        seen.extend(page.items.iter().map(|i| i.uid.clone()));
        // Changing rows while paging must not move them between pages.
        if let Some(first) = page.items.first() {
            f.fire(&first.uid, &author("edit"), t0()).await.unwrap();
        }
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, (0..25).map(|n| uid(800 + n)).collect::<Vec<_>>());
    let review = f
        .store
        .list(&ListQuery {
            state: Some("review".into()),
            ..query(100)
        })
        .await
        .unwrap();
    assert_eq!(review.items.len(), 5);
    assert!(review.next_cursor.is_none());
    let pending = f
        .store
        .list(&ListQuery {
            sync: Some(SyncStatus::Pending),
            ..query(100)
        })
        .await
        .unwrap();
    assert_eq!(pending.items.len(), 25);
    let synced = f
        .store
        .list(&ListQuery {
            sync: Some(SyncStatus::Synced),
            ..query(100)
        })
        .await
        .unwrap();
    assert!(synced.items.is_empty());
    let both = f
        .store
        .list(&ListQuery {
            state: Some("draft".into()),
            sync: Some(SyncStatus::Failed),
            ..query(100)
        })
        .await
        .unwrap();
    assert!(both.items.is_empty());
}

async fn labels_filter_lists(db: &TestDb) {
    let f = fixture(db).await;
    for n in 0..4u64 {
        let mut c = f.create_commit(
            &uid(900 + n),
            json!({}),
            t0() + TimeDelta::seconds(n as i64),
        );
        c.labels = Some(if n % 2 == 0 {
            vec!["finding:open".into(), "finding:blocking".into()]
        } else {
            vec![]
        });
        f.store.commit(c).await.unwrap();
    }
    let open = f
        .store
        .list(&ListQuery {
            labels: vec!["finding:open".into()],
            ..query(100)
        })
        .await
        .unwrap();
    assert_eq!(
        open.items.iter().map(|i| i.uid.clone()).collect::<Vec<_>>(),
        [uid(900), uid(902)]
    );
    let mut relabel = f.fire_commit(&uid(900), &author("edit"), t0()).await;
    relabel.labels = Some(vec![]);
    f.store.commit(relabel).await.unwrap();
    let open = f
        .store
        .list(&ListQuery {
            labels: vec!["finding:open".into()],
            ..query(100)
        })
        .await
        .unwrap();
    assert_eq!(
        open.items.iter().map(|i| i.uid.clone()).collect::<Vec<_>>(),
        [uid(902)]
    );
    let unchanged = f.fire_commit(&uid(902), &author("edit"), t0()).await;
    f.store.commit(unchanged).await.unwrap();
    assert_eq!(
        f.store
            .list(&ListQuery {
                labels: vec!["finding:blocking".into()],
                ..query(100)
            })
            .await
            .unwrap()
            .items
            .len(),
        1,
        "labels: None keeps them"
    );
}

async fn bad_cursors_are_refused(db: &TestDb) {
    let f = fixture(db).await;
    for bad in ["nope", "12.", "x.M-1", "1.two words"] {
        let r = f
            .store
            .list(&ListQuery {
                cursor: Some(bad.into()),
                ..query(10)
            })
            .await;
        assert!(matches!(r, Err(Error::BadCursor(_))), "{bad}: {r:?}");
    }
}

async fn instances_data_pages_one_workflow_in_uid_order(db: &TestDb) {
    let docs = fixture(db).await;
    let (def, rules) = document_named("memo");
    let memos = Fixture {
        store: docs.store.clone(),
        def,
        rules,
    };
    // Created out of uid order, the two workflows' uids interleaved.
    for n in [5u64, 1, 9, 3, 7, 2, 8] {
        let f = if n % 3 == 2 { &memos } else { &docs };
        f.create(&uid(600 + n), json!({"n": n}), t0()).await;
    }
    docs.fire(
        &uid(603),
        &author("edit").with_payload(json!({"n": 33})),
        t0(),
    )
    .await
    .unwrap();
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = docs
            .store
            .instances_data("document", after.as_ref(), 2)
            .await
            .unwrap();
        assert!(page.len() <= 2);
        after = page.last().map(|(u, _)| u.clone());
        let last = page.len() < 2;
        seen.extend(page.into_iter().map(|(u, d)| (u, d["n"].clone())));
        if last {
            break;
        }
    }
    let expected: Vec<_> = [(1, 1), (3, 33), (7, 7), (9, 9)]
        .into_iter()
        .map(|(n, v)| (uid(600 + n), json!(v)))
        .collect();
    assert_eq!(
        seen, expected,
        "documents only, in uid order, as last committed"
    );
    let memo_uids: Vec<_> = memos
        .store
        .instances_data("memo", None, MAX_PAGE + 1)
        .await
        .unwrap()
        .into_iter()
        .map(|(u, _)| u)
        .collect();
    assert_eq!(memo_uids, [uid(602), uid(605), uid(608)]);
    let none = docs
        .store
        .instances_data("document", Some(&uid(609)), 10)
        .await
        .unwrap();
    assert!(none.is_empty(), "nothing after the last uid");
    let unknown = docs.store.instances_data("nope", None, 10).await.unwrap();
    assert!(unknown.is_empty());
}

//! Search and order: titles and search terms kept in step with their instance, prefix words (all must match),
//! personal terms only when asked, several labels at once, every order in both directions paged by cursor
//! exactly like one big page (and in the order Rust's byte-wise string order gives, so both backends agree),
//! counts of what the filters match.

use crate::conformance;
use crate::harness::{Fixture, author, fixture};
use chrono::{DateTime, TimeDelta, Utc};
use lpaflow_core::InstanceId;
use lpaflow_core::search::{Findable, SearchTerm, query_words};
use lpaflow_store::{Error, InstanceSummary, ListQuery, ListSort, SyncStatus};
use lpaflow_test_support::TestDb;
use lpaflow_test_support::fixture::{t0, uid};
use serde_json::json;

conformance!(
    terms_are_written_on_create_and_replaced_on_change,
    words_match_term_prefixes_and_all_must_match,
    personal_terms_count_only_when_asked,
    every_label_given_must_be_present,
    every_order_pages_like_one_big_page,
    a_cursor_from_another_order_is_refused,
    counts_match_the_filters,
);

const ORDERS: [ListSort; 4] = [
    ListSort::Created,
    ListSort::Updated,
    ListSort::Reference,
    ListSort::Title,
];

/// A findable titled `title`, found by the words of `personal` (personal) and by `public`.
fn findable(title: Option<&str>, personal: &str, public: &[&str]) -> Findable {
    let terms = personal
        .split_whitespace()
        .filter_map(SearchTerm::personal)
        .chain(public.iter().filter_map(|p| SearchTerm::public(p)))
        .collect();
    Findable::new(title.map(str::to_owned), terms)
}

fn at(seconds: i64) -> DateTime<Utc> {
    t0() + TimeDelta::seconds(seconds)
}

async fn create(
    f: &Fixture,
    id: &InstanceId,
    created: i64,
    find: Option<Findable>,
    labels: &[&str],
) {
    let mut c = f.create_commit(id, json!({}), at(created));
    c.findable = find;
    c.labels = Some(labels.iter().map(|l| (*l).to_owned()).collect());
    f.store.commit(c).await.unwrap();
}

async fn edit(f: &Fixture, id: &InstanceId, when: i64, find: Option<Findable>) {
    let mut c = f.fire_commit(id, &author("edit"), at(when)).await;
    c.findable = find;
    f.store.commit(c).await.unwrap();
}

fn search(q: &str) -> ListQuery {
    ListQuery {
        words: query_words(q),
        personal_terms: true,
        limit: 100,
        ..ListQuery::default()
    }
}

async fn uids(f: &Fixture, q: &ListQuery) -> Vec<InstanceId> {
    let page = f.store.list(q).await.unwrap();
    assert!(page.next_cursor.is_none(), "one page holds them all");
    page.items.into_iter().map(|i| i.uid).collect()
}

async fn terms_are_written_on_create_and_replaced_on_change(db: &TestDb) {
    let f = fixture(db).await;
    let ada = uid(700);
    create(
        &f,
        &ada,
        0,
        Some(findable(Some("Ada Lovelace"), "Ada Lovelace", &["M-7000"])),
        &[],
    )
    .await;
    create(&f, &uid(701), 1, None, &[]).await;
    assert_eq!(uids(&f, &search("lovelace")).await, [uid(700)]);
    let listed = f.store.list(&search("m7000")).await.unwrap().items;
    assert_eq!(listed[0].title.as_deref(), Some("Ada Lovelace"));
    let untitled = f
        .store
        .list(&ListQuery {
            limit: 10,
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(untitled.items[1].title, None, "created without a findable");

    edit(
        &f,
        &ada,
        2,
        Some(findable(Some("Ada King"), "Ada King", &["M-7000"])),
    )
    .await;
    assert!(
        uids(&f, &search("lovelace")).await.is_empty(),
        "old terms are gone"
    );
    assert_eq!(uids(&f, &search("king")).await, [uid(700)]);
    edit(&f, &ada, 3, None).await;
    let kept = f.store.list(&search("king")).await.unwrap().items;
    assert_eq!(kept.len(), 1, "findable: None keeps the terms");
    assert_eq!(kept[0].title.as_deref(), Some("Ada King"), "and the title");
    assert_eq!(kept[0].revision, 3);
    edit(&f, &ada, 4, Some(Findable::default())).await;
    assert!(uids(&f, &search("king")).await.is_empty());
    let cleared = f
        .store
        .list(&ListQuery {
            limit: 10,
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        cleared.items[0].title, None,
        "an empty findable clears the title"
    );
}

async fn words_match_term_prefixes_and_all_must_match(db: &TestDb) {
    let f = fixture(db).await;
    let people = [
        (710, "John Smith"),
        (711, "Jane Smithers"),
        (712, "John Brown"),
        (713, "Zoë Smyth"),
    ];
    for (n, name) in people {
        create(
            &f,
            &uid(n),
            n as i64,
            Some(findable(Some(name), name, &[])),
            &[],
        )
        .await;
    }
    assert_eq!(uids(&f, &search("smi")).await, [uid(710), uid(711)]);
    assert_eq!(uids(&f, &search("SMITH")).await, [uid(710), uid(711)]);
    assert_eq!(uids(&f, &search("smithers")).await, [uid(711)]);
    assert!(
        uids(&f, &search("mith")).await.is_empty(),
        "prefixes, not infixes"
    );
    assert!(uids(&f, &search("smithersons")).await.is_empty());
    assert_eq!(
        uids(&f, &search("jo smi")).await,
        [uid(710)],
        "every word must match"
    );
    assert_eq!(uids(&f, &search("j s")).await, [uid(710), uid(711)]);
    assert!(uids(&f, &search("john zoë")).await.is_empty());
    assert_eq!(uids(&f, &search("zo")).await, [uid(713)]);
    assert_eq!(uids(&f, &search("zoë sm")).await, [uid(713)]);
    assert!(
        uids(&f, &search("zoe")).await.is_empty(),
        "letters are compared as they are"
    );
    let everyone = ListQuery {
        words: vec![String::new()],
        ..search("")
    };
    assert_eq!(
        uids(&f, &everyone).await.len(),
        4,
        "empty words are ignored"
    );
}

async fn personal_terms_count_only_when_asked(db: &TestDb) {
    let f = fixture(db).await;
    create(
        &f,
        &uid(720),
        0,
        Some(findable(Some("Ada"), "Ada", &["M-7200-ADA"])),
        &[],
    )
    .await;
    let public = |q: &str| ListQuery {
        personal_terms: false,
        ..search(q)
    };
    assert_eq!(uids(&f, &search("ada")).await, [uid(720)]);
    assert!(
        uids(&f, &public("ada")).await.is_empty(),
        "the name is personal"
    );
    assert_eq!(
        uids(&f, &public("m7200")).await,
        [uid(720)],
        "the reference is not"
    );
    assert!(uids(&f, &public("m7200 ada")).await.is_empty());
    assert_eq!(f.store.count(&public("ada")).await.unwrap(), 0);
}

async fn every_label_given_must_be_present(db: &TestDb) {
    let f = fixture(db).await;
    create(&f, &uid(730), 0, None, &["b", "a"]).await;
    create(&f, &uid(731), 1, None, &["a"]).await;
    create(&f, &uid(732), 2, None, &["c", "b", "a"]).await;
    create(&f, &uid(733), 3, None, &[]).await;
    let labelled = |labels: &[&str]| ListQuery {
        labels: labels.iter().map(|l| (*l).to_owned()).collect(),
        limit: 100,
        ..ListQuery::default()
    };
    assert_eq!(
        uids(&f, &labelled(&["a"])).await,
        [uid(730), uid(731), uid(732)]
    );
    assert_eq!(uids(&f, &labelled(&["a", "b"])).await, [uid(730), uid(732)]);
    assert_eq!(uids(&f, &labelled(&["b", "a"])).await, [uid(730), uid(732)]);
    assert_eq!(uids(&f, &labelled(&["c", "a", "b"])).await, [uid(732)]);
    assert!(uids(&f, &labelled(&["a", "d"])).await.is_empty());
    let all = f.store.list(&labelled(&[])).await.unwrap().items;
    let labels: Vec<Vec<String>> = all.iter().map(|i| i.labels.clone()).collect();
    assert_eq!(
        labels,
        [vec!["a", "b"], vec!["a"], vec!["a", "b", "c"], vec![]],
        "sorted"
    );
}

/// Seven instances whose created times, update times and titles tie and differ in every way an order must
/// break: equal keys (ties broken by uid), no title, an empty title, case and accents.
async fn seven(f: &Fixture) {
    let rows: [(u64, i64, i64, Option<&str>); 7] = [
        (746, 0, 50, Some("Zoë Ward")),
        (741, 0, 10, Some("ada Byron")),
        (745, 10, 10, None),
        (740, 20, 30, Some("Ada Byron")),
        (744, 20, 40, Some("Ada Byron")),
        (742, 30, 20, None),
        (743, 40, 60, Some("Émile.Zola ~")),
    ];
    for (n, created, updated, title) in rows {
        let labels: &[&str] = if n == 740 { &[] } else { &["x"] };
        let find = findable(title, title.unwrap_or_default(), &[]);
        create(f, &uid(n), created, Some(find), labels).await;
        edit(f, &uid(n), updated, None).await;
    }
}

/// `items` in the order `sort` and `descending` define, by Rust's byte-wise string order (absent titles
/// last in both directions).
fn expected(mut items: Vec<InstanceSummary>, sort: ListSort, descending: bool) -> Vec<InstanceId> {
    let key = |i: &InstanceSummary| match sort {
        ListSort::Created => (false, i.created_at.timestamp_micros(), String::new()),
        ListSort::Updated => (false, i.updated_at.timestamp_micros(), String::new()),
        ListSort::Reference => (false, 0, String::new()),
        ListSort::Title => (i.title.is_none(), 0, i.title.clone().unwrap_or_default()),
    };
    items.sort_by(|a, b| {
        let (ka, kb) = (key(a), key(b));
        let by_key = (ka.1, &ka.2, &a.uid.to_string()).cmp(&(kb.1, &kb.2, &b.uid.to_string()));
        ka.0.cmp(&kb.0)
            .then(if descending { by_key.reverse() } else { by_key })
    });
    items.into_iter().map(|i| i.uid).collect()
}

/// Every row of `q`, two to a page.
async fn paged(f: &Fixture, q: &ListQuery) -> Vec<InstanceId> {
    let mut q = ListQuery {
        limit: 2,
        ..q.clone()
    };
    let mut seen = Vec::new();
    for _ in 0..10 {
        let page = f.store.list(&q).await.unwrap();
        assert!(page.items.len() <= 2);
        seen.extend(page.items.into_iter().map(|i| i.uid));
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => return seen,
        }
    }
    panic!("more pages than rows: {q:?}");
}

async fn every_order_pages_like_one_big_page(db: &TestDb) {
    let f = fixture(db).await;
    seven(&f).await;
    let everything = f
        .store
        .list(&ListQuery {
            limit: 100,
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(everything.items.len(), 7);
    for labels in [vec![], vec!["x".to_owned()]] {
        let rows: Vec<_> = everything
            .items
            .iter()
            .filter(|i| labels.iter().all(|l| i.labels.contains(l)))
            .cloned()
            .collect();
        for sort in ORDERS {
            for descending in [false, true] {
                let q = ListQuery {
                    labels: labels.clone(),
                    sort,
                    descending,
                    limit: 100,
                    ..ListQuery::default()
                };
                let want = expected(rows.clone(), sort, descending);
                let what = format!("{sort} descending={descending} labels={labels:?}");
                assert_eq!(uids(&f, &q).await, want, "one page: {what}");
                assert_eq!(paged(&f, &q).await, want, "pages of two: {what}");
            }
        }
    }
    let titled = expected(everything.items.clone(), ListSort::Title, false);
    assert_eq!(
        titled,
        [
            uid(740),
            uid(744),
            uid(746),
            uid(741),
            uid(743),
            uid(742),
            uid(745)
        ],
        "byte order: capitals before small letters before accents; no title last"
    );
}

async fn a_cursor_from_another_order_is_refused(db: &TestDb) {
    let f = fixture(db).await;
    seven(&f).await;
    for sort in ORDERS {
        for descending in [false, true] {
            let q = ListQuery {
                sort,
                descending,
                limit: 2,
                ..ListQuery::default()
            };
            let cursor = f.store.list(&q).await.unwrap().next_cursor.unwrap();
            for other in ORDERS {
                for other_descending in [false, true] {
                    let r = f
                        .store
                        .list(&ListQuery {
                            sort: other,
                            descending: other_descending,
                            cursor: Some(cursor.clone()),
                            limit: 2,
                            ..ListQuery::default()
                        })
                        .await;
                    if (other, other_descending) == (sort, descending) {
                        assert!(r.is_ok(), "{cursor}: {r:?}");
                    } else {
                        assert!(
                            matches!(r, Err(Error::BadCursor(_))),
                            "{cursor} in {other}: {r:?}"
                        );
                    }
                }
            }
        }
    }
}

async fn counts_match_the_filters(db: &TestDb) {
    let f = fixture(db).await;
    seven(&f).await;
    f.fire(&uid(740), &author("submit"), at(90)).await.unwrap();
    let queries = [
        ListQuery::default(),
        ListQuery {
            labels: vec!["x".into()],
            ..ListQuery::default()
        },
        ListQuery {
            words: query_words("ada"),
            personal_terms: true,
            ..ListQuery::default()
        },
        ListQuery {
            words: query_words("ada"),
            ..ListQuery::default()
        },
        ListQuery {
            words: query_words("ada by"),
            labels: vec!["x".into()],
            personal_terms: true,
            ..ListQuery::default()
        },
        ListQuery {
            state: Some("review".into()),
            ..ListQuery::default()
        },
        ListQuery {
            sync: Some(SyncStatus::Synced),
            ..ListQuery::default()
        },
        ListQuery {
            sync: Some(SyncStatus::Pending),
            state: Some("draft".into()),
            ..ListQuery::default()
        },
    ];
    let expected = [7, 6, 3, 0, 2, 1, 0, 6];
    for (q, n) in queries.iter().zip(expected) {
        let listed = f
            .store
            .list(&ListQuery {
                limit: 100,
                ..q.clone()
            })
            .await
            .unwrap();
        assert_eq!(listed.items.len() as u64, n, "{q:?}");
        let ordered = ListQuery {
            sort: ListSort::Title,
            descending: true,
            limit: 1,
            ..q.clone()
        };
        assert_eq!(f.store.count(&ordered).await.unwrap(), n, "{q:?}");
    }
    let first = f
        .store
        .list(&ListQuery {
            limit: 1,
            ..ListQuery::default()
        })
        .await
        .unwrap();
    let after_first = ListQuery {
        cursor: first.next_cursor,
        limit: 1,
        ..ListQuery::default()
    };
    assert_eq!(
        f.store.count(&after_first).await.unwrap(),
        7,
        "the cursor does not count"
    );
}

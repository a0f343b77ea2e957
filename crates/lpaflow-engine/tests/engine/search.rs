//! Titles and search terms through the engine: a command whose decision changes what the rules say an instance
//! is found by rewrites its terms and title in the same commit; one that changes nothing leaves them.

use crate::both_backends;
use crate::harness::{agent, catalog, manual_clock, start_with};
use lpaflow_core::rules::{ActionError, ActionOutcome, Context, Unmet};
use lpaflow_core::search::{Findable, SearchTerm};
use lpaflow_core::{ActionName, Catalog, GuardName, Instance, InstanceId, PlainRules, Rules};
use lpaflow_store::{InstanceSummary, ListQuery, Store};
use lpaflow_test_support::TestDb;
use serde_json::json;
use std::sync::Arc;

both_backends!(
    a_fired_command_that_changes_the_findable_updates_the_terms,
    instances_written_before_their_rules_gave_titles_are_indexed_by_the_reindex
);

/// Plain rules that find a ticket by the words of its `title` (personal) and its uid (not personal).
struct TitledRules(PlainRules);

impl Rules for TitledRules {
    fn catalog(&self) -> Catalog {
        self.0.catalog()
    }

    fn version(&self) -> String {
        self.0.version()
    }

    fn check_guard(&self, guard: &GuardName, ctx: &Context<'_>) -> Vec<Unmet> {
        self.0.check_guard(guard, ctx)
    }

    fn apply_action(
        &self,
        action: &ActionName,
        ctx: &Context<'_>,
    ) -> Result<ActionOutcome, ActionError> {
        self.0.apply_action(action, ctx)
    }

    fn findable(&self, instance: &Instance, _reading: &lpaflow_core::Reading) -> Findable {
        let title = instance.data["title"].as_str();
        let terms = title
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(SearchTerm::personal)
            .chain(SearchTerm::public(instance.id.as_str()))
            .collect();
        Findable::new(title.map(str::to_owned), terms)
    }
}

/// The instances whose terms the words of `q` start, personal ones included.
async fn found(store: &Store, q: &str) -> Vec<InstanceSummary> {
    let q = ListQuery {
        words: lpaflow_core::search::query_words(q),
        personal_terms: true,
        limit: 10,
        ..ListQuery::default()
    };
    store.list(&q).await.unwrap().items
}

async fn a_fired_command_that_changes_the_findable_updates_the_terms(db: &TestDb) {
    let s = start_with(db, manual_clock(), false, |o| {
        o.rules = Arc::new(TitledRules(PlainRules::new(catalog())));
    })
    .await;
    let id = InstanceId::new("T-1");
    let create = agent("create").with_payload(json!({"title": "Printer jam"}));
    s.engine.create("ticket", id.clone(), create).await.unwrap();
    let printer = found(&s.store, "print").await;
    assert_eq!(printer.len(), 1);
    assert_eq!(printer[0].title.as_deref(), Some("Printer jam"));

    let retitle = agent("note").with_payload(json!({"title": "Scanner jam"}));
    s.engine.fire(&id, retitle).await.unwrap();
    assert!(
        found(&s.store, "print").await.is_empty(),
        "the old terms are gone"
    );
    let scanner = found(&s.store, "scan jam").await;
    assert_eq!(scanner.len(), 1);
    assert_eq!(scanner[0].title.as_deref(), Some("Scanner jam"));

    s.engine.fire(&id, agent("wait")).await.unwrap();
    let kept = found(&s.store, "t1 scanner").await;
    assert_eq!(kept.len(), 1, "a command that changes no term keeps them");
    assert_eq!(kept[0].state, "waiting");
}

/// An upgrade: instances written while the rules gave no title or terms (as before migration 0008) are found
/// once `reindex_untitled` has run with rules that give them, and only at the revision they were read at.
async fn instances_written_before_their_rules_gave_titles_are_indexed_by_the_reindex(db: &TestDb) {
    let id = InstanceId::new("T-9");
    {
        let old = start_with(db, manual_clock(), false, |_| {}).await;
        let create = agent("create").with_payload(json!({"title": "Broken chair"}));
        old.engine
            .create("ticket", id.clone(), create)
            .await
            .unwrap();
        assert!(found(&old.store, "chair").await.is_empty(), "no terms yet");
        old.engine.shutdown().await;
    }
    let s = start_with(db, manual_clock(), false, |o| {
        o.rules = Arc::new(TitledRules(PlainRules::new(catalog())));
    })
    .await;
    let stale = s
        .store
        .write_indexes(&id, 0, &[], &Findable::default())
        .await
        .unwrap();
    assert!(
        !stale,
        "indexes computed from another revision are not written"
    );
    assert_eq!(s.engine.reindex_untitled().await.unwrap(), 1);
    let chair = found(&s.store, "chair").await;
    assert_eq!(chair.len(), 1);
    assert_eq!(chair[0].title.as_deref(), Some("Broken chair"));
    assert_eq!(
        s.engine.reindex_untitled().await.unwrap(),
        0,
        "once is enough"
    );
}

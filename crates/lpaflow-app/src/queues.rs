//! The caseworker queues: LPAs filtered by state, labels, sync status and owner, found by the words of a
//! search, sorted by any listed column, a page at a time in a stable order; their counts; and the next case a
//! caseworker should take, claimed for them.

use crate::caller::{Caller, Role};
use crate::service::LpaService;
use lpaflow_core::search::{MAX_WORD, MAX_WORDS, query_words};
use lpaflow_core::{Command, InstanceId, StateName};
use lpaflow_engine::Error;
use lpaflow_lpa::labels;
use lpaflow_store::{InstanceSummary, ListQuery, ListSort, Page, SyncStatus};

/// Who may list LPAs.
pub const LISTERS: &[Role] = &[Role::Caseworker, Role::Auditor, Role::Admin];

/// What needs a person, most urgent first: the order "next case" takes cases in (within each, the LPA waiting
/// longest first).
pub const PRIORITY: &[Need] = &[
    Need::Label(labels::FINDING_BLOCKING),
    Need::Label(labels::FEE_DECISION_NEEDED),
    Need::Label(labels::OBJECTION_OPEN),
    Need::SyncFailed,
    Need::Label(labels::PAPER_OPEN),
    Need::Label(labels::FINDING_OPEN),
];

/// One reason an LPA needs a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// A label the rules set (a finding, a fee decision, an objection, a paper case).
    Label(&'static str),
    /// OPG refused a step or holds different data.
    SyncFailed,
}

impl Need {
    fn query(self) -> ListQuery {
        match self {
            Need::Label(l) => ListQuery {
                labels: vec![l.to_owned()],
                ..ListQuery::default()
            },
            Need::SyncFailed => ListQuery {
                sync: Some(SyncStatus::Failed),
                ..ListQuery::default()
            },
        }
    }

    /// Whether the row has this need.
    pub fn of(self, row: &InstanceSummary) -> bool {
        match self {
            Need::Label(l) => row.labels.iter().any(|x| x == l),
            Need::SyncFailed => row.sync_status == SyncStatus::Failed,
        }
    }
}

/// A search query that cannot be run, in words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadSearch(pub String);

/// The words of search `q`, checked: at most [`MAX_WORDS`], each at most [`MAX_WORD`] characters.
pub fn search_words(q: &str) -> Result<Vec<String>, BadSearch> {
    let words = query_words(q);
    if words.len() > MAX_WORDS {
        return Err(BadSearch(format!(
            "has {} words; search with at most {MAX_WORDS}",
            words.len()
        )));
    }
    if let Some(long) = words.iter().find(|w| w.chars().count() > MAX_WORD) {
        return Err(BadSearch(format!(
            "has a word of {} characters; no name, postcode or reference is longer than {MAX_WORD}",
            long.chars().count()
        )));
    }
    Ok(words)
}

/// The owner of a listed LPA (from its `owner:` label).
pub fn owner_of(row: &InstanceSummary) -> Option<String> {
    row.labels.iter().find_map(|l| labels::owner_in(l))
}

/// Candidates "next case" reads at a time.
const NEXT_CASE_PAGE: u32 = 200;
/// Pages of candidates "next case" reads per need before it moves on (cases owned by someone keep their
/// labels, so the oldest may all be taken).
const NEXT_CASE_PAGES: usize = 25;

impl LpaService {
    /// Whether `state` is a state of the current LPA workflow.
    pub fn is_lpa_state(&self, state: &str) -> bool {
        self.lpa_definition()
            .is_some_and(|d| d.state(&StateName::new(state)).is_some())
    }

    /// The states of the current LPA workflow, in definition order.
    pub fn lpa_states(&self) -> Vec<String> {
        self.lpa_definition()
            .map(|d| d.states().iter().map(|s| s.name.to_string()).collect())
            .unwrap_or_default()
    }

    /// One page of the queue `query` describes. Searching by personal data (names, postcodes, dates of birth)
    /// is for callers who see it; for the others a search matches references only.
    pub async fn list(
        &self,
        caller: &Caller,
        query: &ListQuery,
    ) -> Result<Page<InstanceSummary>, Error> {
        let query = for_caller(caller, query);
        Ok(self.store.list(&query).await?)
    }

    /// How many LPAs `query` matches (its cursor and page size aside).
    pub async fn count(&self, caller: &Caller, query: &ListQuery) -> Result<u64, Error> {
        Ok(self.store.count(&for_caller(caller, query)).await?)
    }

    /// Claims for `caller` the case that most needs a person ([`PRIORITY`], the longest waiting first) that
    /// nobody has, and returns it; `None` when no such case is left. The claim is an `assign_case` decided
    /// on the revision the candidate was listed at, so two caseworkers asking at once never get the same
    /// case: the second one's claim is stale and it moves on to the next candidate.
    pub async fn next_case(&self, caller: &Caller) -> Result<Option<InstanceId>, Error> {
        for need in PRIORITY {
            let mut query = ListQuery {
                limit: NEXT_CASE_PAGE,
                ..need.query()
            };
            for _ in 0..NEXT_CASE_PAGES {
                let page = self.list(caller, &query).await?;
                for row in &page.items {
                    if owner_of(row).is_none() && self.claim(caller, row).await? {
                        return Ok(Some(row.uid.clone()));
                    }
                }
                match page.next_cursor {
                    Some(c) => query.cursor = Some(c),
                    None => break,
                }
            }
        }
        Ok(None)
    }

    /// Claims `row` for `caller` if it is still as listed; `false` when someone changed it meanwhile or it
    /// no longer takes a claim.
    async fn claim(&self, caller: &Caller, row: &InstanceSummary) -> Result<bool, Error> {
        let command = Command::new("assign_case", caller.sub.as_str(), caller.role.to_string())
            .at_revision(row.revision);
        match self.fire_command(&row.uid, command, None).await {
            Ok(_) => Ok(true),
            // Any refusal of this one case (changed meanwhile, ended, waiting for OPG, pinned to a workflow
            // version without claims, ...) or a case too busy to take now: the next candidate.
            Err(Error::Rejected(_) | Error::Contended { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// `query` as `caller` may run it: personal search terms only for roles that see personal data; a sort by
/// the title (the donor's name) only for them too, so its order says nothing of names to others.
fn for_caller(caller: &Caller, query: &ListQuery) -> ListQuery {
    let personal = caller.role.sees_personal_data();
    ListQuery {
        personal_terms: personal,
        sort: if query.sort == ListSort::Title && !personal {
            ListSort::Created
        } else {
            query.sort
        },
        ..query.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_is_a_few_short_words() {
        assert_eq!(
            search_words("Grace  HOPPER").expect("fine"),
            ["grace", "hopper"]
        );
        assert!(search_words("a b c d e f g h i").is_err());
        assert!(search_words(&"x".repeat(65)).is_err());
    }
}

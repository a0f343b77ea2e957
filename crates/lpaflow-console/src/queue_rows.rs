//! The table of LPAs shared by the queue and the search results: the reference, the donor (for roles that see
//! personal data), the type and channel, why the LPA needs a person, its state, how long it has waited and who
//! has it. Column headers that sort are links that keep every other choice of the page.

use super::layout::{duration, time_el, words};
use chrono::{DateTime, Utc};
use lpaflow_app::queues::{Need, PRIORITY, owner_of};
use lpaflow_app::{InstanceSummary, ListSort, SyncStatus};
use lpaflow_lpa::labels;
use maud::{Markup, html};

/// A sortable column: its header, its sort, and the `sort` value the page's links carry.
pub(super) struct SortColumn {
    pub(super) header: &'static str,
    pub(super) sort: ListSort,
    pub(super) name: &'static str,
}

/// The columns a list sorts by, in the order of the table.
pub(super) const SORT_COLUMNS: &[SortColumn] = &[
    SortColumn {
        header: "LPA",
        sort: ListSort::Reference,
        name: "reference",
    },
    SortColumn {
        header: "Donor",
        sort: ListSort::Title,
        name: "donor",
    },
    SortColumn {
        header: "Waiting",
        sort: ListSort::Created,
        name: "created",
    },
    SortColumn {
        header: "Last change",
        sort: ListSort::Updated,
        name: "updated",
    },
];

/// The sort a page asks for (`created`, `-donor`...), `created` when it names none or an unknown one.
pub(super) fn parse_sort(raw: Option<&str>) -> (ListSort, bool) {
    let raw = raw.unwrap_or("created");
    let (name, descending) = match raw.strip_prefix('-') {
        Some(rest) => (rest, true),
        None => (raw, false),
    };
    SORT_COLUMNS
        .iter()
        .find(|c| c.name == name)
        .map_or((ListSort::Created, false), |c| (c.sort, descending))
}

/// What a table needs besides its rows.
pub(super) struct Table<'a> {
    /// The caption (names the page's choices).
    pub(super) caption: &'a str,
    /// The sort in force and whether reversed.
    pub(super) sort: (ListSort, bool),
    /// The page's address without `sort`, to which a header adds its own.
    pub(super) base_href: &'a str,
    /// Whether the donor's name may be shown (and sorted by).
    pub(super) show_names: bool,
    /// The signed-in caseworker (their cases read "You").
    pub(super) me: &'a str,
    /// The business clock's now.
    pub(super) now: DateTime<Utc>,
}

/// Why an LPA needs a person, in words, most urgent first.
pub(super) fn needs(row: &InstanceSummary) -> Vec<&'static str> {
    PRIORITY
        .iter()
        .filter(|n| n.of(row))
        .map(|n| match n {
            Need::Label(labels::FINDING_BLOCKING) => "Blocking finding",
            Need::Label(labels::FEE_DECISION_NEEDED) => "Fee decision",
            Need::Label(labels::OBJECTION_OPEN) => "Objection",
            Need::Label(labels::PAPER_OPEN) => "Paper application",
            Need::Label(labels::FINDING_OPEN) => "Open finding",
            Need::Label(_) => "Needs a person",
            Need::SyncFailed => "OPG sync failed",
        })
        .filter(|w| *w != "Open finding" || !n_has(row, labels::FINDING_BLOCKING))
        .collect()
}

fn n_has(row: &InstanceSummary, label: &str) -> bool {
    row.labels.iter().any(|l| l == label)
}

/// "Property and affairs, paper" from the row's type and channel labels.
pub(super) fn kind(row: &InstanceSummary) -> String {
    let of = |prefix: &str| {
        row.labels
            .iter()
            .find_map(|l| l.strip_prefix(prefix))
            .map(|v| words(v).replace('-', " ").to_lowercase())
    };
    let lpa_type = of(labels::TYPE_PREFIX).map(|t| sentence_case(&t));
    match (lpa_type, of(labels::CHANNEL_PREFIX)) {
        (Some(t), Some(c)) => format!("{t}, {c}"),
        (Some(t), None) => t,
        (None, Some(c)) => sentence_case(&c),
        (None, None) => "Not given".to_owned(),
    }
}

fn sentence_case(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn header(t: &Table<'_>, column: &SortColumn) -> Markup {
    let (sort, descending) = t.sort;
    let current = sort == column.sort;
    let next = if current && !descending {
        format!("-{}", column.name)
    } else {
        column.name.to_owned()
    };
    let aria = match (current, descending) {
        (true, false) => "ascending",
        (true, true) => "descending",
        (false, _) => "none",
    };
    let sep = if t.base_href.contains('?') { '&' } else { '?' };
    html! {
        th scope="col" aria-sort=(aria) {
            a href={ (t.base_href) (sep) "sort=" (next) } { (column.header) }
        }
    }
}

/// The table of `rows`.
pub(super) fn table(t: &Table<'_>, rows: &[InstanceSummary]) -> Markup {
    let [reference, donor, waiting, updated] = [0, 1, 2, 3].map(|i| &SORT_COLUMNS[i]);
    html! {
        table.table {
            caption #queue-caption.table-caption { (t.caption) }
            thead {
                tr {
                    (header(t, reference))
                    @if t.show_names { (header(t, donor)) } @else { th scope="col" { "Donor" } }
                    th scope="col" { "Type" }
                    th scope="col" { "Needs" }
                    th scope="col" { "State" }
                    (header(t, waiting))
                    (header(t, updated))
                    th scope="col" { "Owner" }
                }
            }
            tbody {
                @for row in rows { (row_markup(t, row)) }
            }
        }
    }
}

fn row_markup(t: &Table<'_>, row: &InstanceSummary) -> Markup {
    let needs = needs(row);
    html! {
        tr {
            td.uid { a href={ "/console/lpas/" (row.uid) } { (row.uid) } }
            td {
                @if !t.show_names { span.hint { "Hidden" } }
                @else if let Some(name) = &row.title { (name) }
                @else { span.hint { "Not given" } }
            }
            td { (kind(row)) }
            td {
                @if needs.is_empty() { span.hint { "Nothing" } }
                @else { (needs.join(", ")) }
                @if row.sync_status == SyncStatus::Pending { br; span.hint { "OPG sync pending" } }
            }
            td { (words(&row.state)) }
            td { (duration(t.now - row.created_at)) }
            td { (time_el(&row.updated_at)) }
            td {
                @match owner_of(row) {
                    Some(o) if o == t.me => strong { "You" },
                    Some(o) => (o),
                    None => span.hint { "Nobody" },
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lpaflow_core::InstanceId;

    fn row(labels: &[&str], sync: SyncStatus) -> InstanceSummary {
        InstanceSummary {
            uid: InstanceId::new("M-QWER-TY34-6789"),
            workflow: "lpa".into(),
            version: 4,
            state: "created".into(),
            revision: 1,
            sync_status: sync,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            title: None,
            labels: labels.iter().map(|l| (*l).to_owned()).collect(),
        }
    }

    #[test]
    fn a_row_says_what_it_is_and_what_it_needs_in_words() {
        let r = row(
            &[
                "type:property-and-affairs",
                "channel:paper",
                "finding:open",
                "finding:blocking",
                "paper:open",
            ],
            SyncStatus::Failed,
        );
        assert_eq!(kind(&r), "Property and affairs, paper");
        assert_eq!(
            needs(&r),
            ["Blocking finding", "OPG sync failed", "Paper application"],
            "most urgent first; an open finding is not repeated beside a blocking one"
        );
        let plain = row(&[], SyncStatus::Synced);
        assert_eq!(kind(&plain), "Not given");
        assert!(needs(&plain).is_empty());
    }

    #[test]
    fn a_page_sort_is_read_with_its_direction() {
        assert_eq!(parse_sort(Some("-donor")), (ListSort::Title, true));
        assert_eq!(parse_sort(Some("updated")), (ListSort::Updated, false));
        assert_eq!(parse_sort(Some("age")), (ListSort::Created, false));
        assert_eq!(parse_sort(None), (ListSort::Created, false));
    }
}

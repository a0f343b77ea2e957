//! The driver of reconciliation (`lpaflow reconcile`): pages through the store's LPAs, reads OPG in batches,
//! confirms each difference, attributes it from OPG's change log and, when asked, repairs it. What to compare
//! and which repair is safe is `lpaflow_opg::reconcile` (pure); this use case reads, fires and reopens.

use crate::service::LpaService;
use futures::StreamExt;
use lpaflow_core::BusinessZone;
use lpaflow_core::{Command, EventName, InstanceId};
use lpaflow_engine::Engine;
use lpaflow_opg::SYNC_PROBLEM_EVENT;
use lpaflow_opg::client::{BATCH_UIDS_MAX, OpgClient, OpgError};
use lpaflow_opg::reconcile::{
    Drift, Error, FINDING_SUBJECT, Local, LpaReport, Options, Outcome, Remote, Repair, Report,
    Verdict, attribute, compare, expected_document, fingerprint,
};
use lpaflow_store::Store;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

/// Local reads in flight at once.
const LOCAL_READS_MAX: usize = 16;
/// Attempts at one OPG read before giving up (reads are safe to repeat).
const READ_ATTEMPTS_MAX: u32 = 4;
/// Rounds of "read local, read OPG, read local" before an LPA that keeps changing is left unverified.
const CONFIRM_ROUNDS_MAX: u32 = 3;
/// Differences listed in a finding's detail (all of them go into its `differences`).
const DETAIL_ITEMS_MAX: usize = 20;

impl LpaService {
    /// How many LPAs [`LpaService::reconcile`] will check (for a progress bar).
    pub async fn reconcile_count(&self, options: &Options) -> Result<u64, Error> {
        count(&self.store, options).await
    }

    /// Checks every LPA (or `options.uid`) against OPG through `client`, calling `progress` with the number
    /// checked so far.
    pub async fn reconcile(
        &self,
        client: &OpgClient,
        options: &Options,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<Report, Error> {
        run(&self.engine, &self.store, client, options, progress).await
    }
}

async fn count(store: &Store, options: &Options) -> Result<u64, Error> {
    if options.uid.is_some() {
        return Ok(1);
    }
    Ok(store
        .count_by_state()
        .await?
        .iter()
        .filter(|(workflow, _, _)| *workflow == options.workflow)
        .map(|(_, _, n)| n)
        .sum())
}

/// An instance of `workflow` with its outbox (`None`: no such instance, or one of another workflow).
async fn load_local(
    store: &Store,
    uid: &InstanceId,
    workflow: &str,
    zone: BusinessZone,
) -> Result<Option<Local>, Error> {
    let Some(stored) = store.get(uid).await? else {
        return Ok(None);
    };
    if stored.instance.workflow.name != workflow {
        return Ok(None);
    }
    let steps = store.steps_of(uid).await?;
    Ok(Some(Local {
        uid: uid.to_string(),
        state: stored.instance.state.to_string(),
        revision: stored.instance.revision,
        data: stored.instance.data,
        steps,
        zone,
    }))
}

/// Reads are safe to repeat: a failing read is tried again with a growing pause.
async fn read_with_retries<T, F, Fut>(mut read: F) -> Result<T, OpgError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, OpgError>>,
{
    let mut attempt = 0;
    loop {
        match read().await {
            Ok(v) => return Ok(v),
            Err(e @ OpgError::Fatal { .. }) => return Err(e),
            Err(e) if attempt + 1 >= READ_ATTEMPTS_MAX => return Err(e),
            Err(e) => {
                let pause = e
                    .retry_after()
                    .unwrap_or(Duration::from_millis(250 << attempt));
                tokio::time::sleep(pause.min(Duration::from_secs(5))).await;
                attempt += 1;
            }
        }
    }
}

/// One LPA read alone: the batch read leaves out what it cannot serve fresh.
async fn read_one(client: &OpgClient, uid: &str) -> Remote {
    match read_with_retries(|| client.read(uid)).await {
        Ok(read) if read.is_stale() => Remote::Unknown(format!(
            "OPG answered from a cache (Age {} s)",
            read.age_s.unwrap_or(0)
        )),
        Ok(read) => match read.lpa {
            Some(doc) => Remote::Held(doc),
            None => Remote::NotHeld,
        },
        Err(e) => Remote::Unknown(format!("OPG read failed: {e}")),
    }
}

/// Compares one LPA again between two local reads that agree, so nothing local moved while OPG was read.
async fn confirm(
    store: &Store,
    client: &OpgClient,
    uid: &InstanceId,
    workflow: &str,
    zone: BusinessZone,
) -> Result<(Local, Verdict), Error> {
    let missing = || Error::NotFound(uid.to_string());
    let mut last = None;
    for _ in 0..CONFIRM_ROUNDS_MAX {
        let before = load_local(store, uid, workflow, zone)
            .await?
            .ok_or_else(missing)?;
        let remote = read_one(client, uid.as_str()).await;
        let after = load_local(store, uid, workflow, zone)
            .await?
            .ok_or_else(missing)?;
        if fingerprint(&before) == fingerprint(&after) {
            let verdict = compare(&after, &remote);
            return Ok((after, verdict));
        }
        last = Some(after);
    }
    let local = last.ok_or_else(missing)?;
    Ok((
        local,
        Verdict::Unverified {
            reason: "the LPA kept changing while it was checked".to_owned(),
        },
    ))
}

async fn run(
    engine: &Engine,
    store: &Store,
    client: &OpgClient,
    options: &Options,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<Report, Error> {
    let mut report = Report::default();
    let workflow = options.workflow.as_str();
    let zone = engine.rules().zone();
    if let Some(uid) = &options.uid {
        let (local, verdict) = confirm(store, client, uid, workflow, zone).await?;
        settle(engine, store, client, options, local, verdict, &mut report).await?;
        progress(report.summary.checked);
        return Ok(report);
    }
    let page = options.page_size.clamp(1, BATCH_UIDS_MAX);
    let mut after = String::new();
    loop {
        let heads = store.chain_heads(&after, page as u32).await?;
        let Some((last, _)) = heads.last() else { break };
        after = last.to_string();
        let reads = heads
            .iter()
            .map(|(uid, _)| load_local(store, uid, workflow, zone));
        let locals: Vec<Local> = futures::stream::iter(reads)
            .buffered(LOCAL_READS_MAX)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect();
        let uids: Vec<String> = locals
            .iter()
            .map(|l| l.uid.clone())
            .filter(|u| lpaflow_opg::uid::is_valid_uid(u))
            .collect();
        let batch = if uids.is_empty() {
            Vec::new()
        } else {
            read_with_retries(|| client.get_many(&uids)).await?
        };
        let mut held: HashMap<String, Value> = batch
            .into_iter()
            .filter_map(|doc| Some((doc.get("uid")?.as_str()?.to_owned(), doc)))
            .collect();
        for local in locals {
            let remote = match held.remove(&local.uid) {
                Some(doc) => Remote::Held(doc),
                // Left out of the batch: not held, or not servable fresh. Only a submitted LPA is worth a
                // single read to tell the two apart.
                None if submitted(&local) => read_one(client, &local.uid).await,
                None => Remote::NotHeld,
            };
            let (local, verdict) = match compare(&local, &remote) {
                v @ (Verdict::LocalOnly | Verdict::InSync { .. }) => (local, v),
                Verdict::Drift(_) | Verdict::Unverified { .. } => {
                    let uid = InstanceId::new(&local.uid);
                    confirm(store, client, &uid, workflow, zone).await?
                }
            };
            settle(engine, store, client, options, local, verdict, &mut report).await?;
            progress(report.summary.checked);
        }
    }
    Ok(report)
}

/// Whether the LPA was sent to OPG (the donor signed, so its create was enqueued).
fn submitted(local: &Local) -> bool {
    local.data.get("opgCreate").is_some_and(|v| !v.is_null())
}

/// Counts one LPA's verdict, attributes and repairs its differences.
async fn settle(
    engine: &Engine,
    store: &Store,
    client: &OpgClient,
    options: &Options,
    local: Local,
    verdict: Verdict,
    report: &mut Report,
) -> Result<(), Error> {
    let summary = &mut report.summary;
    summary.checked += 1;
    let mut drifts = match verdict {
        Verdict::LocalOnly => {
            summary.local_only += 1;
            return Ok(());
        }
        Verdict::InSync { pending: 0 } => {
            summary.in_sync += 1;
            return Ok(());
        }
        Verdict::InSync { .. } => {
            summary.pending += 1;
            return Ok(());
        }
        Verdict::Unverified { reason } => {
            summary.unverified += 1;
            report.lpas.push(LpaReport {
                uid: local.uid,
                state: local.state,
                outcome: Outcome::Unverified,
                reason: Some(reason),
                differences: Vec::new(),
                repairs: Vec::new(),
                drift_remains: true,
            });
            return Ok(());
        }
        Verdict::Drift(drifts) => drifts,
    };
    summary.drifted += 1;
    for d in &drifts {
        *summary.differences.entry(d.kind.to_string()).or_default() += 1;
    }
    if drifts.iter().any(|d| d.pointer.is_some())
        && let Ok(Some(log)) = read_with_retries(|| client.updates(&local.uid)).await
    {
        let expected = expected_document(&local).unwrap_or_default();
        attribute(&mut drifts, &log, &expected, &options.our_author);
    }
    let uid = InstanceId::new(&local.uid);
    let mut repairs = Vec::new();
    let mut remains = false;
    let mut retried = Vec::new();
    for d in &drifts {
        match &d.repair {
            Repair::Flagged { .. } => {
                summary.already_flagged += 1;
                remains = true;
            }
            Repair::Person => remains = true,
            Repair::RetryStep { step_id } if options.repair => {
                if !retried.contains(step_id) {
                    retried.push(*step_id);
                    let now = engine.clock().now();
                    if store.retry_failed_step(*step_id, now).await? {
                        summary.repairs_enqueued += 1;
                        repairs.push(format!(
                            "reopened step {step_id} (read back before it is sent)"
                        ));
                    } else {
                        remains = true;
                        repairs.push(format!("step {step_id} was no longer failed; left alone"));
                    }
                }
            }
            Repair::RetryStep { .. } => remains = true,
        }
    }
    if options.repair && drifts.iter().any(|d| d.repair == Repair::Person) {
        match raise_finding(engine, &uid, &drifts).await? {
            Ok(()) => {
                summary.findings_raised += 1;
                repairs.push("raised a sync_problem finding for a person".to_owned());
            }
            Err(code) => repairs.push(format!("could not raise a finding ({code})")),
        }
    }
    if !retried.is_empty() {
        engine.wake_delivery();
    }
    report.lpas.push(LpaReport {
        uid: local.uid,
        state: local.state,
        outcome: Outcome::Drift,
        reason: None,
        differences: drifts,
        repairs,
        drift_remains: remains,
    });
    Ok(())
}

/// Records the differences a person must decide on the LPA, as a `sync_problem` of kind `conflict`. `Err`
/// carries the refusal's code when the LPA takes no finding now (e.g. it is in a terminal state).
async fn raise_finding(
    engine: &Engine,
    uid: &InstanceId,
    drifts: &[Drift],
) -> Result<Result<(), String>, Error> {
    let for_person: Vec<&Drift> = drifts
        .iter()
        .filter(|d| d.repair == Repair::Person)
        .collect();
    let mut items: Vec<String> = for_person
        .iter()
        .take(DETAIL_ITEMS_MAX)
        .map(|d| match &d.pointer {
            Some(p) => format!("{} {p}", d.kind),
            None => d.kind.to_string(),
        })
        .collect();
    if for_person.len() > DETAIL_ITEMS_MAX {
        items.push(format!("and {} more", for_person.len() - DETAIL_ITEMS_MAX));
    }
    let detail = format!(
        "reconcile found {} difference(s) with OPG for a person to decide: {}",
        for_person.len(),
        items.join("; ")
    );
    let differences: Vec<Value> = for_person
        .iter()
        .map(|d| {
            let (expected, actual) = d.values.clone().unwrap_or_default();
            json!({
                "kind": d.kind,
                "pointer": d.pointer,
                "detail": d.detail,
                "expected": expected,
                "actual": actual,
            })
        })
        .collect();
    let command = Command::system(EventName::new(SYNC_PROBLEM_EVENT), FINDING_SUBJECT).with_payload(
        json!({"step": FINDING_SUBJECT, "kind": "conflict", "detail": detail, "differences": differences}),
    );
    match engine.fire(uid, command).await {
        Ok(_) => Ok(Ok(())),
        Err(lpaflow_engine::Error::Rejected(r)) => Ok(Err(r.code().to_owned())),
        Err(e) => Err(e.into()),
    }
}

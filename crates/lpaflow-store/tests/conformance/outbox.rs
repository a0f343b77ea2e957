//! The outbox: per-instance order, leases and fencing across two store handles, lease expiry, outcomes,
//! counters and sync status, suspension, failed steps.

use crate::conformance;
use crate::harness::{Fixture, author, editor, fixture, open};
use chrono::TimeDelta;
use lpaflow_store::{Fenced, StepFinish, StepLease, StepOutcome, StepStatus, SyncStatus};
use lpaflow_test_support::TestDb;
use lpaflow_test_support::fixture::{t0, uid};
use serde_json::json;
use std::collections::BTreeSet;

conformance!(
    steps_of_one_instance_are_claimable_one_at_a_time_in_order,
    two_handles_never_hold_the_same_step,
    a_fenced_out_holder_cannot_finish,
    an_expired_lease_makes_the_step_claimable_and_ambiguous,
    outcomes_update_counters_and_sync_status,
    failed_steps_block_their_instance_until_retried_or_skipped,
    suspension_marks_steps_without_burning_attempts,
    a_blocking_step_completes_with_its_confirmation,
    a_confirmation_after_its_lease_was_reclaimed_is_fenced,
    backlog_counts_open_steps,
    a_commit_can_lease_its_first_step_when_nothing_earlier_is_open,
    steps_are_enqueued_at_the_wall_clock_time_given,
    an_unsent_step_leased_with_its_commit_can_be_given_back,
    each_step_knows_when_the_one_before_it_finished,
    the_instances_waiting_longest_come_first_with_their_open_steps,
);

fn done(id: i64, fence: u64, uid: &lpaflow_core::InstanceId) -> StepFinish {
    StepFinish {
        step: Fenced { key: id, fence },
        uid: uid.clone(),
        outcome: StepOutcome::Done {
            result: json!({"ok": true}),
        },
        at: t0(),
    }
}

async fn steps_of_one_instance_are_claimable_one_at_a_time_in_order(db: &TestDb) {
    let f = fixture(db).await;
    let id = uid(300);
    f.create(&id, json!({}), t0()).await;
    f.fire(&id, &author("submit"), t0()).await.unwrap();
    let statuses: Vec<StepStatus> = f
        .store
        .steps_of(&id)
        .await
        .unwrap()
        .iter()
        .map(|s| s.status)
        .collect();
    assert_eq!(
        statuses,
        [StepStatus::Queued, StepStatus::Blocked, StepStatus::Blocked]
    );
    let lease = t0() + TimeDelta::seconds(30);
    let mut delivered = Vec::new();
    for _ in 0..3 {
        let claimed = f.store.claim_steps("w1", 10, lease, t0()).await.unwrap();
        assert_eq!(claimed.len(), 1, "only the oldest open step is claimable");
        assert!(
            f.store
                .claim_steps("w1", 10, lease, t0())
                .await
                .unwrap()
                .is_empty()
        );
        let s = &claimed[0];
        delivered.push(s.step.to_string());
        assert_eq!(
            f.store
                .finish_steps(vec![done(s.id, s.fence, &id)])
                .await
                .unwrap(),
            [true]
        );
    }
    assert_eq!(delivered, ["ext.create", "ext.update", "ext.notify"]);
    let stored = f.store.get(&id).await.unwrap().unwrap();
    assert_eq!(
        (stored.steps_pending, stored.sync_status),
        (0, SyncStatus::Synced)
    );
}

async fn two_handles_never_hold_the_same_step(db: &TestDb) {
    let f = fixture(db).await;
    for n in 0..60 {
        f.create(&uid(400 + n), json!({}), t0()).await;
    }
    let other = open(db).await;
    let lease = t0() + TimeDelta::seconds(30);
    let (a, b) = tokio::join!(
        async {
            let mut got = Vec::new();
            for _ in 0..10 {
                got.extend(f.store.claim_steps("a", 4, lease, t0()).await.unwrap());
            }
            got
        },
        async {
            let mut got = Vec::new();
            for _ in 0..10 {
                got.extend(other.claim_steps("b", 4, lease, t0()).await.unwrap());
            }
            got
        }
    );
    let ids_a: BTreeSet<i64> = a.iter().map(|s| s.id).collect();
    let ids_b: BTreeSet<i64> = b.iter().map(|s| s.id).collect();
    assert!(
        ids_a.is_disjoint(&ids_b),
        "a step was handed to both holders"
    );
    assert_eq!(ids_a.len() + ids_b.len(), 60);
    assert!(a.iter().all(|s| s.lease_owner.as_deref() == Some("a")));
    other.shutdown().await;
}

async fn a_fenced_out_holder_cannot_finish(db: &TestDb) {
    let f = fixture(db).await;
    let id = uid(500);
    f.create(&id, json!({}), t0()).await;
    let first = f
        .store
        .claim_steps("slow", 1, t0() + TimeDelta::seconds(5), t0())
        .await
        .unwrap()
        .remove(0);
    let later = t0() + TimeDelta::seconds(10);
    let second = f
        .store
        .claim_steps("fast", 1, later + TimeDelta::seconds(30), later)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(first.id, second.id);
    assert!(second.fence > first.fence);
    assert_eq!(
        f.store
            .finish_steps(vec![done(first.id, first.fence, &id)])
            .await
            .unwrap(),
        [false],
        "the old holder is fenced out"
    );
    assert_eq!(
        f.store
            .finish_steps(vec![done(second.id, second.fence, &id)])
            .await
            .unwrap(),
        [true]
    );
    let row = f.store.step(first.id).await.unwrap().unwrap();
    assert_eq!(row.status, StepStatus::Done);
}

async fn an_expired_lease_makes_the_step_claimable_and_ambiguous(db: &TestDb) {
    let f = fixture(db).await;
    let id = uid(510);
    f.create(&id, json!({}), t0()).await;
    let crashed = f
        .store
        .claim_steps("crashed", 1, t0() + TimeDelta::seconds(5), t0())
        .await
        .unwrap()
        .remove(0);
    assert!(!crashed.ambiguous);
    assert!(
        f.store
            .claim_steps(
                "other",
                1,
                t0() + TimeDelta::seconds(30),
                t0() + TimeDelta::seconds(4)
            )
            .await
            .unwrap()
            .is_empty()
    );
    let after = t0() + TimeDelta::seconds(6);
    let again = f
        .store
        .claim_steps("other", 1, after + TimeDelta::seconds(30), after)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(again.id, crashed.id);
    assert!(
        again.ambiguous,
        "the crashed holder may have sent it: the next attempt must read back first"
    );
    assert_eq!(again.lease_owner.as_deref(), Some("other"));
}

async fn outcomes_update_counters_and_sync_status(db: &TestDb) {
    let f = fixture(db).await;
    let id = uid(520);
    f.create(&id, json!({}), t0()).await;
    let s = f
        .store
        .claim_steps("w", 1, t0() + TimeDelta::seconds(30), t0())
        .await
        .unwrap()
        .remove(0);
    let retry_at = t0() + TimeDelta::seconds(2);
    let retry = StepOutcome::Retry {
        next_attempt_at: retry_at,
        error: json!({"code": "timeout"}),
        ambiguous: true,
        count_attempt: true,
    };
    let r = StepFinish {
        step: Fenced {
            key: s.id,
            fence: s.fence,
        },
        uid: id.clone(),
        outcome: retry,
        at: t0(),
    };
    assert_eq!(f.store.finish_steps(vec![r]).await.unwrap(), [true]);
    let row = f.store.step(s.id).await.unwrap().unwrap();
    assert_eq!(
        (row.status, row.attempts, row.ambiguous),
        (StepStatus::Retrying, 1, true)
    );
    assert_eq!(row.last_error, Some(json!({"code": "timeout"})));
    assert!(
        f.store
            .claim_steps(
                "w",
                1,
                t0() + TimeDelta::seconds(30),
                t0() + TimeDelta::seconds(1)
            )
            .await
            .unwrap()
            .is_empty(),
        "not before its time"
    );
    let s = f
        .store
        .claim_steps("w", 1, retry_at + TimeDelta::seconds(30), retry_at)
        .await
        .unwrap()
        .remove(0);
    assert!(s.ambiguous);
    assert_eq!(
        f.store
            .finish_steps(vec![done(s.id, s.fence, &id)])
            .await
            .unwrap(),
        [true]
    );
    let row = f.store.step(s.id).await.unwrap().unwrap();
    assert_eq!(
        (row.status, row.attempts, row.ambiguous),
        (StepStatus::Done, 2, false)
    );
    assert_eq!(row.result, Some(json!({"ok": true})));
    assert!(row.completed_at.is_some());
    assert_eq!(
        f.store.get(&id).await.unwrap().unwrap().sync_status,
        SyncStatus::Synced
    );
}

async fn failed_steps_block_their_instance_until_retried_or_skipped(db: &TestDb) {
    let f = fixture(db).await;
    let (a, b) = (uid(530), uid(531));
    f.create(&a, json!({}), t0()).await;
    f.fire(&a, &author("edit"), t0()).await.unwrap();
    f.create(&b, json!({}), t0()).await;
    let lease = t0() + TimeDelta::seconds(30);
    let claimed = f.store.claim_steps("w", 10, lease, t0()).await.unwrap();
    assert_eq!(claimed.len(), 2);
    let sa = claimed.iter().find(|s| s.uid == a).unwrap();
    let fail = StepFinish {
        step: Fenced {
            key: sa.id,
            fence: sa.fence,
        },
        uid: a.clone(),
        outcome: StepOutcome::Failed {
            error: json!({"code": "INVALID_REQUEST"}),
        },
        at: t0(),
    };
    let sb = claimed.iter().find(|s| s.uid == b).unwrap();
    assert_eq!(
        f.store
            .finish_steps(vec![fail, done(sb.id, sb.fence, &b)])
            .await
            .unwrap(),
        [true, true]
    );
    let stored = f.store.get(&a).await.unwrap().unwrap();
    assert_eq!(
        (
            stored.steps_pending,
            stored.steps_failed,
            stored.sync_status
        ),
        (1, 1, SyncStatus::Failed)
    );
    assert_eq!(
        f.store.get(&b).await.unwrap().unwrap().sync_status,
        SyncStatus::Synced,
        "another instance is not held up"
    );
    assert!(
        f.store
            .claim_steps("w", 10, lease, t0())
            .await
            .unwrap()
            .is_empty(),
        "a's next step waits behind the failed one"
    );
    assert!(f.store.retry_failed_step(sa.id, t0()).await.unwrap());
    assert!(
        !f.store.retry_failed_step(sa.id, t0()).await.unwrap(),
        "only failed steps can be retried"
    );
    let again = f.store.claim_steps("w", 10, lease, t0()).await.unwrap();
    assert_eq!(again.len(), 1);
    assert!(again[0].ambiguous);
    let fail = StepFinish {
        step: Fenced {
            key: again[0].id,
            fence: again[0].fence,
        },
        uid: a.clone(),
        outcome: StepOutcome::Failed { error: json!({}) },
        at: t0(),
    };
    f.store.finish_steps(vec![fail]).await.unwrap();
    assert!(f.store.skip_failed_step(sa.id, t0()).await.unwrap());
    let next = f.store.claim_steps("w", 10, lease, t0()).await.unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].seq, 2, "skipping releases the next step");
    let stored = f.store.get(&a).await.unwrap().unwrap();
    assert_eq!((stored.steps_pending, stored.steps_failed), (1, 0));
}

async fn suspension_marks_steps_without_burning_attempts(db: &TestDb) {
    let f = fixture(db).await;
    for n in 0..5 {
        f.create(&uid(540 + n), json!({}), t0()).await;
    }
    assert_eq!(f.store.suspend_ready_steps().await.unwrap(), 5);
    let steps = f.store.steps_of(&uid(540)).await.unwrap();
    assert_eq!(steps[0].status, StepStatus::Suspended);
    assert_eq!(
        f.store.get(&uid(540)).await.unwrap().unwrap().sync_status,
        SyncStatus::Pending
    );
    let backlog = f.store.backlog().await.unwrap();
    assert_eq!(backlog.by_status.get("suspended"), Some(&5));
    let lease = t0() + TimeDelta::seconds(30);
    let probe = f.store.claim_steps("w", 1, lease, t0()).await.unwrap();
    assert_eq!(probe.len(), 1, "a suspended step can be claimed as a probe");
    let suspend = StepFinish {
        step: Fenced {
            key: probe[0].id,
            fence: probe[0].fence,
        },
        uid: probe[0].uid.clone(),
        outcome: StepOutcome::Suspended {
            error: json!({"code": "breaker_open"}),
            ambiguous: true,
        },
        at: t0(),
    };
    f.store.finish_steps(vec![suspend]).await.unwrap();
    let row = f.store.step(probe[0].id).await.unwrap().unwrap();
    assert_eq!(
        (row.status, row.attempts, row.ambiguous),
        (StepStatus::Suspended, 0, true),
        "a suspension does not burn an attempt"
    );
    assert_eq!(f.store.resume_suspended(t0()).await.unwrap(), 5);
    assert_eq!(
        f.store.backlog().await.unwrap().by_status.get("queued"),
        Some(&5)
    );
    assert_eq!(
        f.store
            .claim_steps("w", 10, lease, t0())
            .await
            .unwrap()
            .len(),
        5
    );
}

/// Creates `id`, submits it, delivers its three steps (each leased until `lease`) and approves it: its blocking
/// `ext.publish` step is the next to claim.
async fn approve_after_delivering_its_steps(
    f: &Fixture,
    id: &lpaflow_core::InstanceId,
    lease: chrono::DateTime<chrono::Utc>,
) {
    f.create(id, json!({}), t0()).await;
    f.fire(id, &author("submit"), t0()).await.unwrap();
    for _ in 0..3 {
        let s = f
            .store
            .claim_steps("w", 1, lease, t0())
            .await
            .unwrap()
            .remove(0);
        f.store
            .finish_steps(vec![done(s.id, s.fence, id)])
            .await
            .unwrap();
    }
    f.fire(id, &editor("approve"), t0()).await.unwrap();
}

async fn a_blocking_step_completes_with_its_confirmation(db: &TestDb) {
    let f = fixture(db).await;
    let id = uid(550);
    let lease = t0() + TimeDelta::seconds(30);
    approve_after_delivering_its_steps(&f, &id, lease).await;
    let stored = f.store.get(&id).await.unwrap().unwrap();
    assert_eq!(stored.sync_status, SyncStatus::AwaitingSync);
    let publish = f
        .store
        .claim_steps("w", 1, lease, t0())
        .await
        .unwrap()
        .remove(0);
    assert_eq!(publish.step, "ext.publish");
    // Decided on a business clock 20 days ahead; delivered on the wall clock (`enqueued_at`).
    let business = t0() + TimeDelta::days(20);
    let mut confirm = f
        .fire_commit(
            &id,
            &lpaflow_core::Command::system("published".into(), "step"),
            business,
        )
        .await;
    confirm.enqueued_at = Some(t0());
    confirm.complete_step = Some((
        Fenced {
            key: publish.id,
            fence: publish.fence + 1,
        },
        json!({}),
    ));
    assert!(matches!(
        f.store.commit(confirm.clone()).await,
        Err(lpaflow_store::CommitError::Fenced(_))
    ));
    confirm.complete_step = Some((
        Fenced {
            key: publish.id,
            fence: publish.fence,
        },
        json!({"ref": 1}),
    ));
    let committed = f.store.commit(confirm).await.unwrap();
    assert_eq!(committed.stored.instance.state, "published");
    assert_eq!(committed.stored.sync_status, SyncStatus::Synced);
    let done = f.store.step(publish.id).await.unwrap().unwrap();
    assert_eq!(done.status, StepStatus::Done);
    assert_eq!(
        done.completed_at,
        Some(t0()),
        "completed on the wall clock, not the business clock"
    );
}

/// A lease that expired is reclaimed (`retrying`, ambiguous) with its fence unchanged: the holder's late
/// confirmation must still be refused, or the step would be completed twice over (and counted out of the
/// instance's pending steps again). Only the step's status tells them apart.
async fn a_confirmation_after_its_lease_was_reclaimed_is_fenced(db: &TestDb) {
    let f = fixture(db).await;
    let id = uid(551);
    let lease = t0() + TimeDelta::seconds(30);
    approve_after_delivering_its_steps(&f, &id, lease).await;
    let publish = f
        .store
        .claim_steps("w", 1, lease, t0())
        .await
        .unwrap()
        .remove(0);
    // After the lease: reclaimed, claimed by nobody yet (a claim of no steps).
    let later = lease + TimeDelta::seconds(1);
    assert!(
        f.store
            .claim_steps("w2", 0, later + TimeDelta::seconds(30), later)
            .await
            .unwrap()
            .is_empty()
    );
    let reclaimed = f.store.step(publish.id).await.unwrap().unwrap();
    assert_eq!(reclaimed.status, StepStatus::Retrying);
    assert_eq!(reclaimed.fence, publish.fence, "reclaiming keeps the fence");
    let mut confirm = f
        .fire_commit(
            &id,
            &lpaflow_core::Command::system("published".into(), "step"),
            later,
        )
        .await;
    confirm.complete_step = Some((
        Fenced {
            key: publish.id,
            fence: publish.fence,
        },
        json!({"ref": 1}),
    ));
    assert!(matches!(
        f.store.commit(confirm).await,
        Err(lpaflow_store::CommitError::Fenced(_))
    ));
    let stored = f.store.get(&id).await.unwrap().unwrap();
    assert_eq!(
        stored.instance.state, "publishing",
        "nothing of the refused commit"
    );
    assert_eq!(stored.steps_pending, 1);
}

async fn backlog_counts_open_steps(db: &TestDb) {
    let f = fixture(db).await;
    for n in 0..3 {
        f.create(
            &uid(560 + n),
            json!({}),
            t0() + TimeDelta::seconds(n as i64),
        )
        .await;
        f.fire(&uid(560 + n), &author("edit"), t0()).await.unwrap();
    }
    let backlog = f.store.backlog().await.unwrap();
    assert_eq!(backlog.by_status.get("queued"), Some(&3));
    assert_eq!(backlog.by_status.get("blocked"), Some(&3));
    assert_eq!(backlog.open(), 6);
    assert_eq!(backlog.oldest_open_at, Some(t0()));
}

/// Creates `id` with its first step leased to `w1` for 30 s in the creating commit.
async fn create_leased_by_w1(
    f: &crate::harness::Fixture,
    id: &lpaflow_core::InstanceId,
) -> (StepLease, lpaflow_store::Committed) {
    let lease = StepLease {
        owner: "w1".into(),
        until: t0() + TimeDelta::seconds(30),
    };
    let mut create = f.create_commit(id, json!({}), t0());
    create.lease_first_step = Some(lease.clone());
    let created = f.store.commit(create).await.unwrap();
    assert!(created.first_step_leased);
    (lease, created)
}

async fn a_commit_can_lease_its_first_step_when_nothing_earlier_is_open(db: &TestDb) {
    let f = fixture(db).await;
    let id = uid(900);
    let (lease, created) = create_leased_by_w1(&f, &id).await;
    let steps = f.store.steps_of(&id).await.unwrap();
    assert_eq!(steps.len(), 1);
    let first = &steps[0];
    assert_eq!(
        (first.id, first.status, first.fence),
        (created.step_ids[0], StepStatus::InFlight, 1)
    );
    assert_eq!(first.lease_owner.as_deref(), Some("w1"));
    assert_eq!(first.lease_until, Some(lease.until));
    assert!(
        f.store
            .claim_steps("w2", 10, lease.until, t0())
            .await
            .unwrap()
            .is_empty(),
        "a step leased with its commit is not claimable by anyone else"
    );

    // The create step is still open: the next commit's first step must wait for it, lease or not.
    let mut submit = f.fire_commit(&id, &author("submit"), t0()).await;
    submit.lease_first_step = Some(lease.clone());
    let submitted = f.store.commit(submit).await.unwrap();
    assert!(!submitted.first_step_leased);
    let statuses: Vec<StepStatus> = f
        .store
        .steps_of(&id)
        .await
        .unwrap()
        .iter()
        .map(|s| s.status)
        .collect();
    assert_eq!(
        statuses,
        [
            StepStatus::InFlight,
            StepStatus::Blocked,
            StepStatus::Blocked
        ]
    );
    assert_eq!(
        f.store
            .finish_steps(vec![done(first.id, 1, &id)])
            .await
            .unwrap(),
        [true],
        "the holder of a lease taken with the commit finishes with fence 1"
    );
    let next = f
        .store
        .claim_steps("w2", 10, lease.until, t0())
        .await
        .unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].id, submitted.step_ids[0]);
}

async fn steps_are_enqueued_at_the_wall_clock_time_given(db: &TestDb) {
    let f = fixture(db).await;
    let id = uid(901);
    let business_time = t0() + TimeDelta::days(20);
    let mut create = f.create_commit(&id, json!({}), business_time);
    create.enqueued_at = Some(t0());
    f.store.commit(create).await.unwrap();
    let step = &f.store.steps_of(&id).await.unwrap()[0];
    assert_eq!((step.created_at, step.next_attempt_at), (t0(), t0()));
    let claimed = f
        .store
        .claim_steps("w1", 10, t0() + TimeDelta::seconds(30), t0())
        .await
        .unwrap();
    assert_eq!(
        claimed.len(),
        1,
        "a step is due at its enqueue time, not at the business time of its decision"
    );
}

async fn an_unsent_step_leased_with_its_commit_can_be_given_back(db: &TestDb) {
    let f = fixture(db).await;
    let id = uid(910);
    let (lease, _) = create_leased_by_w1(&f, &id).await;
    let w2 = StepLease {
        owner: "w2".into(),
        ..lease.clone()
    };
    assert!(
        !f.store
            .release_unsent_step(&id, 1, &w2, t0())
            .await
            .unwrap(),
        "only the lease's owner can give it back"
    );
    assert!(
        !f.store
            .release_unsent_step(&uid(911), 1, &lease, t0())
            .await
            .unwrap()
    );
    assert!(
        f.store
            .release_unsent_step(&id, 1, &lease, t0())
            .await
            .unwrap()
    );
    let step = &f.store.steps_of(&id).await.unwrap()[0];
    assert_eq!(
        (step.status, step.ambiguous, step.attempts),
        (StepStatus::Queued, false, 0)
    );
    assert_eq!(step.lease_owner, None);
    assert!(
        !f.store
            .release_unsent_step(&id, 1, &lease, t0())
            .await
            .unwrap(),
        "giving back twice changes nothing"
    );
    let claimed = f
        .store
        .claim_steps("w2", 10, lease.until, t0())
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1, "a given-back step is claimable at once");
    assert_eq!(claimed[0].fence, 2);
    assert!(
        !f.store
            .release_unsent_step(&id, 1, &w2, t0())
            .await
            .unwrap(),
        "a lease taken by a claim is not a commit's lease"
    );

    // A step queued without a lease and then claimed also holds fence 1 and no attempt: only the exact lease
    // of the commit (its expiry time) is given back, never a claim's.
    let queued = uid(912);
    f.create(&queued, json!({}), t0()).await;
    let claim_until = lease.until + TimeDelta::seconds(1);
    let claimed = f
        .store
        .claim_steps("w1", 10, claim_until, t0())
        .await
        .unwrap();
    assert_eq!((claimed.len(), claimed[0].fence), (1, 1));
    assert!(
        !f.store
            .release_unsent_step(&queued, 1, &lease, t0())
            .await
            .unwrap(),
        "a claim's lease is not the commit's, even with the same owner and fence"
    );
}

/// A handler pacing calls about one record needs to know when the previous step finished, whichever process
/// finished it: claims, reads and a commit that leases its first step all say.
async fn each_step_knows_when_the_one_before_it_finished(db: &TestDb) {
    let f = fixture(db).await;
    let id = uid(910);
    let (lease, created) = create_leased_by_w1(&f, &id).await;
    assert_eq!(created.first_step_previous_completed_at, None);
    let first_done = t0() + TimeDelta::milliseconds(1_500);
    let mut finish = done(created.step_ids[0], 1, &id);
    finish.at = first_done;
    assert_eq!(f.store.finish_steps(vec![finish]).await.unwrap(), [true]);

    let mut edit = f.fire_commit(&id, &author("edit"), t0()).await;
    edit.lease_first_step = Some(lease.clone());
    let edited = f.store.commit(edit).await.unwrap();
    assert!(edited.first_step_leased);
    assert_eq!(edited.first_step_previous_completed_at, Some(first_done));
    let second_done = first_done + TimeDelta::seconds(2);
    let mut finish = done(edited.step_ids[0], 1, &id);
    finish.at = second_done;
    assert_eq!(f.store.finish_steps(vec![finish]).await.unwrap(), [true]);

    f.fire(&id, &author("edit"), t0()).await.unwrap();
    let claimed = f
        .store
        .claim_steps("w2", 10, lease.until, second_done)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].previous_completed_at, Some(second_done));
    let all: Vec<_> = f
        .store
        .steps_of(&id)
        .await
        .unwrap()
        .iter()
        .map(|s| s.previous_completed_at)
        .collect();
    assert_eq!(all, [None, Some(first_done), Some(second_done)]);
}

async fn the_instances_waiting_longest_come_first_with_their_open_steps(db: &TestDb) {
    let f = fixture(db).await;
    let (first, second) = (uid(960), uid(961));
    f.create(&first, json!({}), t0()).await;
    f.create(&second, json!({}), t0() + TimeDelta::seconds(1))
        .await;
    let waiting = f.store.waiting_instances(10).await.unwrap();
    assert_eq!(
        waiting.iter().map(|w| w.uid.clone()).collect::<Vec<_>>(),
        [first.clone(), second.clone()],
        "oldest first"
    );
    assert_eq!(waiting[0].oldest_at, t0());
    assert!(waiting.iter().all(|w| w.open_steps >= 1));
    assert_eq!(
        f.store.waiting_instances(1).await.unwrap().len(),
        1,
        "the limit"
    );

    // Once every step of the first is done, only the second waits.
    loop {
        let leased = f
            .store
            .claim_steps(
                "w",
                10,
                t0() + TimeDelta::seconds(60),
                t0() + TimeDelta::seconds(2),
            )
            .await
            .unwrap();
        let mine: Vec<_> = leased.into_iter().filter(|l| l.uid == first).collect();
        if mine.is_empty() {
            break;
        }
        let done = mine
            .iter()
            .map(|l| StepFinish {
                step: Fenced {
                    key: l.id,
                    fence: l.fence,
                },
                uid: l.uid.clone(),
                outcome: StepOutcome::Done { result: json!({}) },
                at: t0() + TimeDelta::seconds(3),
            })
            .collect();
        f.store.finish_steps(done).await.unwrap();
    }
    let waiting = f.store.waiting_instances(10).await.unwrap();
    assert!(waiting.iter().all(|w| w.uid != first), "{waiting:?}");
    assert!(waiting.iter().any(|w| w.uid == second));
}

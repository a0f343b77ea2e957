//! A client that disconnects while its command's commit waits: hyper drops the request's handler, the commit
//! lands anyway, and what follows it must happen too. Here the donor's signature enqueues `opg.create`, leased to
//! this process in the same commit; the step must reach the delivery loop at once, not wait out its lease and go
//! out as ambiguous (leases and polls last ten minutes here, so a step left behind shows as a timeout). Checked
//! to fail without the follow-up's own task (`engine/src/committing.rs`): hyper did drop the handler.

use crate::common::{Harness, eventually};
use async_trait::async_trait;
use lpaflow_api::{ConnectionLimits, Role};
use lpaflow_engine::{Attempt, ClaimedStep, DeliveryOptions, StepHandler};
use lpaflow_test_support::WriteLock;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// An OPG stand-in that confirms every step and records (step, ambiguous).
#[derive(Default)]
struct Recorder {
    delivered: Mutex<Vec<(String, bool)>>,
}

#[async_trait]
impl StepHandler for Recorder {
    async fn deliver(&self, step: &ClaimedStep) -> Attempt {
        self.delivered
            .lock()
            .unwrap()
            .push((step.name.to_string(), step.ambiguous));
        Attempt::Done {
            result: json!({"confirmed": true}),
            report: None,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_disconnects_does_not_strand_its_commands_step() {
    let recorder = Arc::new(Recorder::default());
    let delivery = DeliveryOptions {
        poll_ms: 600_000,
        lease_ms: 600_000,
        ..DeliveryOptions::default()
    };
    let h = Harness::with_opg_handler(recorder.clone(), delivery).await;
    let uid = h.lpa_in_signing().await;
    let before = h.view(&uid, Role::Service).await["revision"].as_u64();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(lpaflow_api::serve(
        listener,
        h.router.clone(),
        ConnectionLimits::default(),
        async move {
            let _ = stopped.await;
        },
    ));

    // Another connection holds the database's write lock: the signature's commit waits in the writer.
    let lock = WriteLock::take(&h.db).await;
    let body = json!({"event": "sign_as_donor", "payload": {}}).to_string();
    let request = format!(
        "POST /v1/lpas/{uid}/events HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        h.token(Role::Service),
        body.len()
    );
    let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
    client.write_all(request.as_bytes()).await.unwrap();
    eventually("the signature's commit queued behind the lock", || async {
        (h.store.commits_in_flight() > 0).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        recorder.delivered.lock().unwrap().is_empty(),
        "nothing committed yet"
    );
    drop(client);
    tokio::time::sleep(Duration::from_millis(200)).await;
    lock.release().await;

    eventually("opg.create delivered", || async {
        (!recorder.delivered.lock().unwrap().is_empty()).then_some(())
    })
    .await;
    assert_eq!(
        *recorder.delivered.lock().unwrap(),
        [("opg.create".to_owned(), false)],
        "handed over with its commit, once, not taken again as ambiguous"
    );
    let after = h.view(&uid, Role::Service).await["revision"].as_u64();
    assert!(
        after > before,
        "the signature was committed: {before:?} -> {after:?}"
    );
    let _ = stop.send(());
    let _ = server.await;
}

//! Runs `examples/embed.rs`: the engine embedded with a non-LPA workflow, end to end.
#![allow(clippy::unwrap_used)]

#[path = "../examples/embed.rs"]
#[allow(dead_code)]
mod embed;

#[tokio::test]
async fn the_embedding_example_runs_a_non_lpa_workflow_to_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let (state, entries) = embed::run(dir.path()).await.unwrap();
    assert_eq!(state, "paid");
    assert_eq!(entries, 4, "create, submit, approve, payment_confirmed");
}

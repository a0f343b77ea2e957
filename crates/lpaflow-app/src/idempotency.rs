//! Idempotency reservations: a key per caller scope, reserved before a request runs, committed with the command
//! it carries (the engine records the mark in the same transaction), completed with the answer, released when
//! the request failed before committing, and purged once expired. The adapters own the wire (headers, the
//! request hash, the stored response); the service owns the reservation's life.

use crate::service::LpaService;
use chrono::{DateTime, TimeDelta, Utc};
use lpaflow_engine::Error;
use lpaflow_store::Reservation;
use std::time::Duration;

/// How often a failed key release is retried.
const RELEASE_RETRY: Duration = Duration::from_millis(250);

impl LpaService {
    /// Reserves `key` of `owner` at `now` (a time from [`LpaService::now`], the holder's token for a later
    /// release) for the request hashed `hash`, taking over a reservation older than `lock_timeout` whose
    /// holder never committed.
    pub async fn reserve_key(
        &self,
        owner: &str,
        key: &str,
        hash: &str,
        now: DateTime<Utc>,
        lock_timeout: TimeDelta,
    ) -> Result<Reservation, Error> {
        Ok(self
            .store
            .reserve_idempotency_key(owner, key, hash, now, now - lock_timeout)
            .await?)
    }

    /// Releases the reservation of `key` made at `reserved_at` (never one another request took over).
    pub async fn release_key(
        &self,
        owner: &str,
        key: &str,
        reserved_at: DateTime<Utc>,
    ) -> Result<(), Error> {
        Ok(self
            .store
            .release_idempotency_key(owner, key, reserved_at)
            .await?)
    }

    /// Keeps trying to release a key whose release failed or whose reservation's outcome is unknown (the
    /// database was unreachable, typically the failure that made the request fail), so the client's retry runs
    /// as soon as the database is back instead of waiting for the lock timeout. Gives up after `give_up_after`,
    /// when a takeover frees the key anyway.
    pub fn release_key_later(
        &self,
        owner: &str,
        key: &str,
        reserved_at: DateTime<Utc>,
        give_up_after: Duration,
    ) {
        let service = self.clone();
        let (owner, key) = (owner.to_owned(), key.to_owned());
        let give_up = tokio::time::Instant::now() + give_up_after;
        tokio::spawn(async move {
            while tokio::time::Instant::now() < give_up {
                tokio::time::sleep(RELEASE_RETRY).await;
                if service.release_key(&owner, &key, reserved_at).await.is_ok() {
                    return;
                }
            }
        });
    }

    /// Stores the answer `response` (status `status`) of `key`.
    pub async fn complete_key(
        &self,
        owner: &str,
        key: &str,
        status: u16,
        response: &str,
    ) -> Result<(), Error> {
        Ok(self
            .store
            .complete_idempotency_key(owner, key, status, response, self.now())
            .await?)
    }

    /// Deletes keys older than `ttl`; returns how many.
    pub async fn purge_keys(&self, ttl: TimeDelta) -> Result<u64, Error> {
        Ok(self.store.purge_idempotency_keys(self.now() - ttl).await?)
    }
}

//! Hotspot manifests of videos, with every saved version: the store behind
//! `GET`/`PUT /v1/videos/{id}/overlay`. [`OverlayStore`] is the seam for other databases;
//! [`SqliteStore`] is the default, in one file (or in memory for tests).
use std::fmt::Debug;
use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};

/// One saved version of a video's manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    /// The manifest, as JSON.
    pub json: String,
    /// 1 for the first save, then one more for each.
    pub version: u64,
    /// Server time of the save, ms.
    pub saved_at: i64,
}

impl Stored {
    /// The strong ETag of this version (`"v3"`): versions only grow, so it never repeats.
    pub fn etag(&self) -> String {
        format!("\"v{}\"", self.version)
    }
}

/// What the writer believes is stored now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Nothing yet (`If-None-Match: *`, or no header for a new video).
    Nothing,
    /// This version (`If-Match`).
    Version(u64),
}

impl Expect {
    /// Whether the writer's belief matches what is stored now.
    pub fn holds(&self, current: Option<&Stored>) -> bool {
        match (self, current) {
            (Expect::Nothing, None) => true,
            (Expect::Version(v), Some(c)) => *v == c.version,
            _ => false,
        }
    }
}

/// Why a store failed: the server's fault, answered as 500.
#[derive(Debug, thiserror::Error)]
#[error("overlay store: {0}")]
pub struct StoreError(String);

impl StoreError {
    /// A failure described in words.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self(e.to_string())
    }
}

/// Where manifests live.
#[async_trait::async_trait]
pub trait OverlayStore: Send + Sync + Debug {
    /// The latest version, if any.
    async fn latest(&self, video: &str) -> Result<Option<Stored>, StoreError>;
    /// Saves `json` as the next version if `expect` still holds: `Ok(Ok(saved))`, or
    /// `Ok(Err(current))` when someone saved first (`current` is `None` if nothing is stored).
    async fn save(
        &self,
        video: &str,
        json: &str,
        expect: &Expect,
        now: i64,
    ) -> Result<Result<Stored, Option<Stored>>, StoreError>;
    /// Every version, oldest first, without the manifests.
    async fn history(&self, video: &str) -> Result<Vec<(u64, i64)>, StoreError>;
}

/// Opens (creating it and its folder) the SQLite file at `path`, which the overlay store and the
/// carts may share (`--overlay-db`): each waits for the other's write rather than fail.
pub(crate) fn open_shared(path: &Path) -> Result<Connection, StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| StoreError(e.to_string()))?;
    }
    let db = Connection::open(path)?;
    db.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(db)
}

/// SQLite, through rusqlite with SQLite compiled in.
#[derive(Debug)]
pub struct SqliteStore {
    db: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::init(open_shared(path)?)
    }

    /// A store that lives as long as the server (tests, demos without `--overlay-db`).
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(db: Connection) -> Result<Self, StoreError> {
        db.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE IF NOT EXISTS overlay_versions (
                 video TEXT NOT NULL,
                 version INTEGER NOT NULL,
                 json TEXT NOT NULL,
                 saved_at INTEGER NOT NULL,
                 PRIMARY KEY (video, version)
             );",
        )?;
        Ok(Self { db: Mutex::new(db) })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn latest_in(db: &Connection, video: &str) -> Result<Option<Stored>, StoreError> {
    Ok(db
        .query_row(
            "SELECT json, version, saved_at FROM overlay_versions
             WHERE video = ?1 ORDER BY version DESC LIMIT 1",
            params![video],
            |row| {
                Ok(Stored {
                    json: row.get(0)?,
                    version: row.get::<_, i64>(1)?.unsigned_abs(),
                    saved_at: row.get(2)?,
                })
            },
        )
        .optional()?)
}

#[async_trait::async_trait]
impl OverlayStore for SqliteStore {
    async fn latest(&self, video: &str) -> Result<Option<Stored>, StoreError> {
        latest_in(&self.lock(), video)
    }

    async fn save(
        &self,
        video: &str,
        json: &str,
        expect: &Expect,
        now: i64,
    ) -> Result<Result<Stored, Option<Stored>>, StoreError> {
        let mut db = self.lock();
        let tx = db.transaction()?;
        let current = latest_in(&tx, video)?;
        if !expect.holds(current.as_ref()) {
            return Ok(Err(current));
        }
        let version = current.map_or(1, |c| c.version + 1);
        tx.execute(
            "INSERT INTO overlay_versions (video, version, json, saved_at) VALUES (?1, ?2, ?3, ?4)",
            params![video, i64::try_from(version).unwrap_or(i64::MAX), json, now],
        )?;
        tx.commit()?;
        Ok(Ok(Stored {
            json: json.to_string(),
            version,
            saved_at: now,
        }))
    }

    async fn history(&self, video: &str) -> Result<Vec<(u64, i64)>, StoreError> {
        let db = self.lock();
        let mut query = db.prepare(
            "SELECT version, saved_at FROM overlay_versions WHERE video = ?1 ORDER BY version",
        )?;
        let rows = query.query_map(params![video], |row| {
            Ok((row.get::<_, i64>(0)?.unsigned_abs(), row.get::<_, i64>(1)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// What every [`OverlayStore`] must do, run on SQLite here and on PostgreSQL by the server's
/// tests; it takes a store that holds nothing yet.
#[doc(hidden)]
// A failed unwrap is a failed test.
#[allow(clippy::unwrap_used, missing_docs)]
pub mod conformance {
    use super::*;

    pub async fn versions_grow_and_a_stale_writer_gets_the_current_one(store: &dyn OverlayStore) {
        assert_eq!(store.latest("v").await.unwrap(), None);
        let first = store
            .save("v", "{\"a\":1}", &Expect::Nothing, 10)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((first.version, first.etag().as_str()), (1, "\"v1\""));
        // A second "create" loses to the first.
        let lost = store
            .save("v", "{}", &Expect::Nothing, 11)
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(lost, Some(first.clone()));
        let second = store
            .save("v", "{\"a\":2}", &Expect::Version(1), 12)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(second.version, 2);
        let stale = store
            .save("v", "{\"a\":3}", &Expect::Version(1), 13)
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(stale, Some(second.clone()));
        assert_eq!(store.latest("v").await.unwrap(), Some(second));
        assert_eq!(store.history("v").await.unwrap(), vec![(1, 10), (2, 12)]);
        assert_eq!(store.latest("other").await.unwrap(), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_keeps_versions_as_every_store_must() {
        let store = SqliteStore::in_memory().unwrap();
        conformance::versions_grow_and_a_stale_writer_gets_the_current_one(&store).await;
    }

    #[tokio::test]
    async fn a_file_store_keeps_its_versions_across_restarts() {
        let dir = std::env::temp_dir().join(format!("live-shop-store-{}", std::process::id()));
        let path = dir.join("overlays.sqlite");
        {
            let store = SqliteStore::open(&path).unwrap();
            store
                .save("v", "{}", &Expect::Nothing, 1)
                .await
                .unwrap()
                .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.latest("v").await.unwrap().map(|s| s.version), Some(1));
        let _ = std::fs::remove_dir_all(dir);
    }
}

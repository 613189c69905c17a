//! The live bus on Redis (`--bus redis://…`): every instance's viewers get every stream event,
//! whichever instance published it, in one order with one numbering.
//!
//! Each stream has four keys, under one hash tag so a Redis cluster keeps them together:
//! - `…:events`, a Redis Stream. Publishing is one script: it checks the [`Guard`], takes the
//!   next `seq` (`INCR` on `…:seq`) and `XADD`s the change with its epoch, seq and time, so the
//!   order of the stream is the order of the numbers. The SSE id `epoch.seq` a viewer sends back
//!   as `Last-Event-ID` names one entry on every instance.
//! - `…:snap`, the show's state at some entry (`seq`, entry `id`, `state`, `epoch`). The first
//!   instance writes the starting show; instances refresh it every [`SNAPSHOT_EVERY`] events.
//!   An instance that joins reads it, then the entries after it, then follows with `XREAD`.
//! - `…:deals`, what the guards need: deals started and ended, and the count viewers were shown.
//!
//! Each instance keeps the show and the last events in memory (`LiveStream`), so a viewer whose
//! instance died resumes on another from its `Last-Event-ID` with nothing missed and nothing
//! twice.
use std::sync::Arc;
use std::time::Duration;

use live_shop_core::deal::Outcome;
use live_shop_core::json::decode;
use live_shop_core::protocol::{Change, Product, StreamEvent, StreamState};
use redis::aio::MultiplexedConnection;
use redis::streams::{StreamId, StreamRangeReply, StreamReadReply};
use redis::{AsyncConnectionConfig, Script};

use crate::hub::{Guard, LiveStream};
use crate::now_ms;

/// Entries kept in each Redis Stream (about: `MAXLEN ~`).
const KEPT: usize = 10_000;

/// An instance writes the show's state to Redis after every this many events.
pub const SNAPSHOT_EVERY: u64 = 256;

/// The bus failed: the operator's to mend (Redis down, or holding something else).
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// Redis cannot be reached or refused a command.
    #[error("the live bus (Redis) failed: {0}")]
    Redis(#[from] redis::RedisError),
    /// Redis holds data this server cannot read.
    #[error("the live bus (Redis) holds what this server cannot read: {0}")]
    Unreadable(String),
}

/// A client's pace (GCRA): KEYS[1] holds the time its next request is due, in ms on Redis's
/// clock; ARGV[1] is the interval between requests in ms, ARGV[2] the burst. Answers 0 when the
/// request is allowed (and takes its place), else the ms to wait.
const PACE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local due = tonumber(redis.call('GET', KEYS[1]) or now)
if due < now then due = now end
local wait = due - interval * (tonumber(ARGV[2]) - 1) - now
if wait > 0 then return wait end
redis.call('SET', KEYS[1], due + interval, 'PX', due + interval - now)
return 0
";

/// Creates the show on first use; answers the snapshot's state and entry id.
const INIT: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
  redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'seq', 0, 'id', '0-0', 'state', ARGV[2])
  redis.call('SET', KEYS[2], 0)
end
return redis.call('HMGET', KEYS[1], 'state', 'id')
";

/// Publishes ARGV[7..] if the guard (ARGV[1], deal ARGV[2], count ARGV[3], returned ARGV[4])
/// holds; answers the epoch and each seq, or nothing.
const PUBLISH: &str = r"
local epoch = redis.call('HGET', KEYS[3], 'epoch')
if not epoch then return redis.error_reply('NOSHOW this stream has no show on the bus') end
local kind, deal = ARGV[1], ARGV[2]
local started, ended, shown = 'started:' .. deal, 'ended:' .. deal, 'shown:' .. deal
if kind == 'start' then
  if redis.call('HEXISTS', KEYS[4], ended) == 1 then return {} end
  if redis.call('HSETNX', KEYS[4], started, 1) == 0 then return {} end
elseif kind == 'expire' then
  if redis.call('HEXISTS', KEYS[4], started) == 0 then return {} end
  if redis.call('HSETNX', KEYS[4], ended, 1) == 0 then return {} end
elseif kind == 'end' then
  if redis.call('HSETNX', KEYS[4], ended, 1) == 0 then return {} end
elseif kind == 'schedule' then
  if ARGV[3] ~= '' then redis.call('HSET', KEYS[4], shown, ARGV[3]) end
elseif kind == 'stock' then
  if redis.call('HEXISTS', KEYS[4], started) == 0 then return {} end
  if redis.call('HEXISTS', KEYS[4], ended) == 1 then return {} end
  local left = tonumber(ARGV[3])
  local was = redis.call('HGET', KEYS[4], shown)
  if was then
    was = tonumber(was)
    if ARGV[4] == '1' then
      if left == was then return {} end
    elseif left >= was then
      return {}
    end
  end
  redis.call('HSET', KEYS[4], shown, left)
  if left == 0 then redis.call('HSET', KEYS[4], ended, 1) end
end
local out = {epoch}
for i = 7, #ARGV do
  local seq = redis.call('INCR', KEYS[2])
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[5], '*',
    'epoch', epoch, 'seq', seq, 'time', ARGV[6], 'change', ARGV[i])
  table.insert(out, tostring(seq))
end
return out
";

/// Keeps the newer snapshot of the same show.
const SNAPSHOT: &str = r"
if redis.call('HGET', KEYS[1], 'epoch') ~= ARGV[1] then return 0 end
if tonumber(redis.call('HGET', KEYS[1], 'seq')) >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'seq', ARGV[2], 'id', ARGV[3], 'state', ARGV[4])
return 1
";

/// The keys of one stream.
struct Keys {
    snap: String,
    seq: String,
    events: String,
    deals: String,
}

impl Keys {
    fn of(stream: &str) -> Self {
        let key = |part: &str| format!("live-shop:{{{stream}}}:{part}");
        Self {
            snap: key("snap"),
            seq: key("seq"),
            events: key("events"),
            deals: key("deals"),
        }
    }
}

/// A connection to the Redis that carries the streams.
#[derive(Debug)]
pub struct RedisBus {
    client: redis::Client,
    conn: MultiplexedConnection,
    publish: Script,
    pace: Script,
}

impl RedisBus {
    /// Connects to `url` (`redis://host:port/db`).
    pub async fn connect(url: &str) -> Result<Arc<Self>, BusError> {
        let client = redis::Client::open(url)?;
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(5)))
            .set_response_timeout(Some(Duration::from_secs(5)));
        let conn = client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        Ok(Arc::new(Self {
            client,
            conn,
            publish: Script::new(PUBLISH),
            pace: Script::new(PACE),
        }))
    }

    /// Takes a place in `client`'s pace of `what` (at most `burst` at once, then one every
    /// `interval`), shared by every instance: `None` when allowed, else how long to wait.
    pub async fn pace(
        &self,
        what: &str,
        client: &str,
        interval: Duration,
        burst: u32,
    ) -> Result<Option<Duration>, BusError> {
        let wait: u64 = self
            .pace
            .key(format!("live-shop:pace:{what}:{client}"))
            .arg(interval.as_millis().max(1) as u64)
            .arg(burst.max(1))
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok((wait > 0).then(|| Duration::from_millis(wait)))
    }

    /// Joins stream `id`: the show on the bus, which the first instance starts with
    /// `products` on its shelf, then every event as it is published.
    pub async fn join(
        self: &Arc<Self>,
        id: &str,
        products: Vec<Product>,
    ) -> Result<Arc<LiveStream>, BusError> {
        let fresh = LiveStream::new(id, &new_epoch(), products).state();
        let (state, from) = self.snapshot(id, &fresh).await?;
        let stream = LiveStream::shared(state, self.clone());
        let last = self.catch_up(&stream, &from).await?;
        stream.time_open_deals();
        tokio::spawn(self.clone().follow(stream.clone(), last, fresh));
        Ok(stream)
    }

    /// The show's snapshot and the entry it stands at, created from `fresh` if the bus has none.
    async fn snapshot(
        &self,
        id: &str,
        fresh: &StreamState,
    ) -> Result<(StreamState, String), BusError> {
        let keys = Keys::of(id);
        let fresh_json =
            serde_json::to_string(fresh).map_err(|e| BusError::Unreadable(e.to_string()))?;
        let (state, from): (String, String) = Script::new(INIT)
            .key(&keys.snap)
            .key(&keys.seq)
            .key(&keys.events)
            .key(&keys.deals)
            .arg(&fresh.epoch)
            .arg(fresh_json)
            .invoke_async(&mut self.conn.clone())
            .await?;
        let state = decode::<StreamState>(state.as_bytes())
            .map_err(|e| BusError::Unreadable(format!("the show of {id}: {e}")))?;
        Ok((state, from))
    }

    /// Applies every entry after `from` without timing deals; the last entry's id.
    async fn catch_up(&self, stream: &Arc<LiveStream>, from: &str) -> Result<String, BusError> {
        let events = Keys::of(stream.id()).events;
        let mut last = from.to_string();
        loop {
            let page: StreamRangeReply = redis::cmd("XRANGE")
                .arg(&events)
                .arg(format!("({last}"))
                .arg("+")
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut self.conn.clone())
                .await?;
            let Some(end) = page.ids.last().map(|e| e.id.clone()) else {
                return Ok(last);
            };
            for entry in &page.ids {
                if stream.apply_from_bus(event_of(entry)?, false) == Outcome::NeedsSnapshot {
                    return Err(BusError::Unreadable(format!(
                        "entry {} does not follow the snapshot",
                        entry.id
                    )));
                }
            }
            last = end;
        }
    }

    /// Reads the stream's entries after `last` for as long as the process runs, reconnecting
    /// when Redis goes away; starts over from the snapshot on a gap or a new show.
    async fn follow(
        self: Arc<Self>,
        stream: Arc<LiveStream>,
        mut last: String,
        fresh: StreamState,
    ) {
        let keys = Keys::of(stream.id());
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(5)))
            .set_response_timeout(None);
        let mut conn: Option<MultiplexedConnection> = None;
        loop {
            let mut reader = match conn.take() {
                Some(reader) => reader,
                None => match self
                    .client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await
                {
                    Ok(reader) => reader,
                    Err(e) => {
                        eprintln!("live-shop-server: the live bus is out of reach: {e}");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                },
            };
            let read: Result<Option<StreamReadReply>, _> = redis::cmd("XREAD")
                .arg("COUNT")
                .arg(1000)
                .arg("BLOCK")
                .arg(5000)
                .arg("STREAMS")
                .arg(&keys.events)
                .arg(&last)
                .query_async(&mut reader)
                .await;
            let entries = match read {
                Ok(reply) => reply
                    .map(|r| r.keys.into_iter().flat_map(|k| k.ids).collect())
                    .unwrap_or_else(Vec::new),
                Err(e) => {
                    eprintln!("live-shop-server: reading the live bus failed: {e}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            conn = Some(reader);
            let mut lost = false;
            for entry in &entries {
                let applied = event_of(entry).map(|event| {
                    let seq = event.seq;
                    (stream.apply_from_bus(event, true), seq)
                });
                match applied {
                    Ok((Outcome::NeedsSnapshot, _)) | Err(_) => {
                        lost = true;
                        break;
                    }
                    Ok((_, seq)) => {
                        last = entry.id.clone();
                        if seq % SNAPSHOT_EVERY == 0 {
                            self.keep_snapshot(&stream, &keys, &last).await;
                        }
                    }
                }
            }
            if lost {
                eprintln!(
                    "live-shop-server: the live bus of {} moved on without this instance; \
                     starting over from its snapshot",
                    stream.id()
                );
                match self.start_over(&stream, &fresh).await {
                    Ok(from) => last = from,
                    Err(e) => {
                        eprintln!("live-shop-server: {e}");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        }
    }

    async fn start_over(
        &self,
        stream: &Arc<LiveStream>,
        fresh: &StreamState,
    ) -> Result<String, BusError> {
        let (state, from) = self.snapshot(stream.id(), fresh).await?;
        stream.reset(state);
        let last = self.catch_up(stream, &from).await?;
        stream.time_open_deals();
        Ok(last)
    }

    /// Writes the show as this instance has it at entry `id`, if no newer one is there.
    async fn keep_snapshot(&self, stream: &LiveStream, keys: &Keys, id: &str) {
        let state = stream.state();
        let Ok(json) = serde_json::to_string(&state) else {
            return;
        };
        let kept: Result<i64, _> = Script::new(SNAPSHOT)
            .key(&keys.snap)
            .arg(&state.epoch)
            .arg(state.seq)
            .arg(id)
            .arg(json)
            .invoke_async(&mut self.conn.clone())
            .await;
        if let Err(e) = kept {
            eprintln!("live-shop-server: keeping the show's snapshot failed: {e}");
        }
    }

    /// Publishes `changes` on stream `id` if `guard` holds there; the events published.
    pub(crate) async fn publish(
        &self,
        id: &str,
        changes: &[Change],
        guard: &Guard,
    ) -> Result<Vec<Arc<StreamEvent>>, BusError> {
        let keys = Keys::of(id);
        let (kind, deal, count, returned) = match guard {
            Guard::Always => ("always", "", String::new(), false),
            Guard::Schedule { deal_id, units } => (
                "schedule",
                deal_id.as_str(),
                units.map(|u| u.to_string()).unwrap_or_default(),
                false,
            ),
            Guard::Start(deal_id) => ("start", deal_id.as_str(), String::new(), false),
            Guard::Expire(deal_id) => ("expire", deal_id.as_str(), String::new(), false),
            Guard::End(deal_id) => ("end", deal_id.as_str(), String::new(), false),
            Guard::Stock {
                deal_id,
                left,
                returned,
            } => ("stock", deal_id.as_str(), left.to_string(), *returned),
        };
        let time = now_ms();
        let mut call = self.publish.prepare_invoke();
        call.key(&keys.events)
            .key(&keys.seq)
            .key(&keys.snap)
            .key(&keys.deals)
            .arg(kind)
            .arg(deal)
            .arg(count)
            .arg(if returned { "1" } else { "0" })
            .arg(KEPT)
            .arg(time);
        for change in changes {
            call.arg(
                serde_json::to_string(change).map_err(|e| BusError::Unreadable(e.to_string()))?,
            );
        }
        let out: Vec<String> = call.invoke_async(&mut self.conn.clone()).await?;
        let Some((epoch, seqs)) = out.split_first() else {
            return Ok(Vec::new());
        };
        seqs.iter()
            .zip(changes)
            .map(|(seq, change)| {
                let seq = seq
                    .parse()
                    .map_err(|_| BusError::Unreadable(format!("seq {seq:?}")))?;
                Ok(Arc::new(StreamEvent {
                    epoch: epoch.clone(),
                    seq,
                    server_time: time,
                    change: change.clone(),
                }))
            })
            .collect()
    }
}

/// The event an entry carries.
fn event_of(entry: &StreamId) -> Result<StreamEvent, BusError> {
    let field = |name: &str| -> Result<String, BusError> {
        entry
            .get::<String>(name)
            .ok_or_else(|| BusError::Unreadable(format!("entry {} has no {name}", entry.id)))
    };
    let unreadable = |what: &str| BusError::Unreadable(format!("entry {}: {what}", entry.id));
    Ok(StreamEvent {
        epoch: field("epoch")?,
        seq: field("seq")?.parse().map_err(|_| unreadable("seq"))?,
        server_time: field("time")?.parse().map_err(|_| unreadable("time"))?,
        change: decode(field("change")?.as_bytes()).map_err(|_| unreadable("change"))?,
    })
}

/// A new show's epoch: the time and some randomness, in hex.
pub(crate) fn new_epoch() -> String {
    let mut bytes = [0u8; 4];
    let noise = if getrandom::fill(&mut bytes).is_ok() {
        u32::from_le_bytes(bytes)
    } else {
        std::process::id()
    };
    format!("{:x}{noise:08x}", now_ms())
}

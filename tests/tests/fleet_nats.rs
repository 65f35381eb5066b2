//! Must-show 4 of the operations issue: 64 simulated gates publish their events to a real
//! NATS server with JetStream (Debian's `nats-server`, started by the test), the broker is
//! restarted while they run, and a central consumer (an `async-nats` durable pull consumer)
//! sees every passage the audit trail records exactly once — deduplicated by the
//! `Nats-Msg-Id` of each message — and the stream itself holds each one once. The test prints
//! the event throughput and the end-to-end latency (gate event to consumer) p50/p95.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_nats::jetstream::{self, consumer::pull};
use egate_tests::nats::{free_port, nats_server, stop, Nats};
use egate_tests::{audit_records, repo, run_args, Daemon};
use futures_util::StreamExt;

const GATES: usize = 64;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// What the central consumer saw, by message id: subject, first-delivery latency (ms), the
/// gate's event time, and how many times it was delivered.
#[derive(Default)]
struct Seen {
    by_id: HashMap<String, (String, i64, u64, u32)>,
}

/// The central consumer: a durable pull consumer on the stream, acknowledging each message;
/// reconnects through the broker's restart. Runs until `done`.
async fn consume(
    url: String,
    seen: Arc<Mutex<Seen>>,
    passages: Arc<AtomicUsize>,
    done: Arc<AtomicBool>,
) {
    let client = async_nats::ConnectOptions::new()
        .retry_on_initial_connect()
        .max_reconnects(None)
        .connect(url)
        .await
        .unwrap();
    let js = jetstream::new(client);
    while !done.load(Ordering::Acquire) {
        let Ok(stream) = js.get_stream("EGATE").await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let Ok(consumer) = stream
            .get_or_create_consumer(
                "central",
                pull::Config {
                    durable_name: Some("central".into()),
                    ack_policy: jetstream::consumer::AckPolicy::Explicit,
                    // Messages delivered to a pull request that died with the broker come
                    // again after this.
                    ack_wait: Duration::from_secs(2),
                    ..Default::default()
                },
            )
            .await
        else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        // One short pull request at a time: a request lost with a restarting broker expires,
        // and the next one reaches the new broker.
        loop {
            let batch = consumer
                .fetch()
                .max_messages(500)
                .expires(Duration::from_millis(500))
                .messages();
            let Ok(Ok(mut batch)) = tokio::time::timeout(Duration::from_secs(2), batch).await
            else {
                break;
            };
            let mut got_any = false;
            while let Ok(Some(next)) =
                tokio::time::timeout(Duration::from_secs(2), batch.next()).await
            {
                let Ok(msg) = next else {
                    break;
                };
                got_any = true;
                let got = now_ms();
                let id = msg
                    .headers
                    .as_ref()
                    .and_then(|h| h.get("Nats-Msg-Id"))
                    .map(|v| v.to_string())
                    .unwrap_or_default();
                let body: serde_json::Value = serde_json::from_slice(&msg.payload).unwrap();
                let ts = body["ts_ms"].as_u64().unwrap();
                let subject = msg.subject.to_string();
                {
                    let mut s = seen.lock().unwrap();
                    let e = s
                        .by_id
                        .entry(id)
                        .or_insert_with(|| (subject.clone(), got as i64 - ts as i64, ts, 0));
                    e.3 += 1;
                    if e.3 == 1 && subject.ends_with(".passage") {
                        passages.fetch_add(1, Ordering::AcqRel);
                    }
                }
                let _ = msg.ack().await;
            }
            if !got_any && done.load(Ordering::Acquire) {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every message of the stream, read once by an ordered consumer: (message id, subject).
async fn whole_stream(url: String) -> Vec<(String, String)> {
    let client = async_nats::connect(url).await.unwrap();
    let js = jetstream::new(client);
    let stream = js.get_stream("EGATE").await.unwrap();
    let total = stream.cached_info().state.messages as usize;
    let consumer = stream
        .create_consumer(pull::OrderedConfig::default())
        .await
        .unwrap();
    let mut messages = consumer.messages().await.unwrap();
    let mut out = Vec::new();
    while out.len() < total {
        let m = tokio::time::timeout(Duration::from_secs(10), messages.next())
            .await
            .expect("the stream's messages in time")
            .unwrap()
            .unwrap();
        let id = m
            .headers
            .as_ref()
            .and_then(|h| h.get("Nats-Msg-Id"))
            .map(|v| v.to_string())
            .unwrap_or_default();
        out.push((id, m.subject.to_string()));
    }
    out
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[test]
fn sixty_four_gates_publish_every_passage_exactly_once_across_a_broker_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("jetstream");
    let port = free_port();
    let url = format!("nats://127.0.0.1:{port}");
    let (nats, _nats_log) = nats_server(port, &store);
    let mut nats = Nats(nats);

    let rt = tokio::runtime::Runtime::new().unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let passages = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let consumer = rt.spawn(consume(
        url.clone(),
        seen.clone(),
        passages.clone(),
        done.clone(),
    ));

    let state = dir.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let cfg = state.join("egate.toml");
    std::fs::write(
        &cfg,
        format!(
            "[server]\nshutdown_grace_s = 20\n[sim]\ngates = {GATES}\narrival_interval_s = 2.0\n\
             vpcd_readers = []\nfaces_dir = {:?}\n[fleet]\nnats_url = {url:?}\nack_timeout_s = 1.0\n",
            repo().join("vision/tests/data").display().to_string()
        ),
    )
    .unwrap();
    let started = Instant::now();
    let mut d = Daemon::start(&run_args(true, Some(&cfg), &state));
    // 64 gates load their face models one after another: minutes on a loaded machine.
    d.wait_for_line("egate::cli::run: listening", Duration::from_secs(300));
    let listening_at = now_ms();
    let trail = state.join("audit.jsonl");
    let wait_passages = |n: usize, what: &str| {
        let deadline = Instant::now() + Duration::from_secs(300);
        while passages.load(Ordering::Acquire) < n {
            assert!(
                Instant::now() < deadline,
                "{what}: only {} passages seen, {} in the audit trail",
                passages.load(Ordering::Acquire),
                audit_records(&trail, "passage").len()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    // Passages have reached the consumer; then the broker goes away for 5 s.
    wait_passages(GATES / 4, "before the broker restart");
    stop(&mut nats.0);
    let down_at = now_ms();
    std::thread::sleep(Duration::from_secs(5));
    let before_restart = passages.load(Ordering::Acquire);
    let (restarted, _nats_log) = nats_server(port, &store);
    let mut nats = Nats(restarted);
    let up_at = now_ms();
    let catch_up = Instant::now();
    // Passages ended during the outage arrive from the gates' spools.
    wait_passages(before_restart + 1, "after the broker restart");
    let caught_up_in = catch_up.elapsed();
    d.signal("TERM");
    assert!(
        d.wait_exit(Duration::from_secs(60))
            .is_some_and(|s| s.success()),
        "egate did not stop cleanly"
    );
    let ran_for = started.elapsed();
    let ended = audit_records(&trail, "passage").len();
    // The last events reach the consumer.
    let deadline = Instant::now() + Duration::from_secs(30);
    while passages.load(Ordering::Acquire) < ended && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(1));
    done.store(true, Ordering::Release);
    rt.block_on(consumer).unwrap();

    // The stream holds every event once: JetStream dropped the resent duplicates.
    let all = rt.block_on(whole_stream(url.clone()));
    let mut ids: Vec<&String> = all.iter().map(|(id, _)| id).collect();
    ids.sort();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate message ids in the stream");
    assert_eq!(
        all.iter().filter(|(_, s)| s.ends_with(".passage")).count(),
        ended,
        "passages in the stream vs the audit trail; spool left: {:?} bytes; daemon's fleet lines:\n{}",
        std::fs::metadata(state.join("fleet-spool/events.jsonl")).map(|m| m.len()),
        d.log
            .iter()
            .filter(|l| l.contains("fleet"))
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    let seen = seen.lock().unwrap();
    let passage_ids: Vec<&String> = seen
        .by_id
        .iter()
        .filter(|(_, v)| v.0.ends_with(".passage"))
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        passage_ids.len(),
        ended,
        "the consumer saw {} distinct passages, the audit trail records {ended}",
        passage_ids.len()
    );
    // Every one of the 64 gates published (device health at start, lane state, passages).
    let gates: std::collections::BTreeSet<&str> = seen
        .by_id
        .values()
        .map(|v| v.0.split('.').nth(2).unwrap())
        .collect();
    assert_eq!(gates.len(), GATES, "events from {} gates", gates.len());
    let redelivered = seen.by_id.values().filter(|v| v.3 > 1).count();

    assert_eq!(
        n,
        seen.by_id.len(),
        "the consumer missed events of the stream"
    );
    // Nothing is left in the spool.
    let spool = state.join("fleet-spool/events.jsonl");
    assert_eq!(std::fs::metadata(&spool).map(|m| m.len()).unwrap_or(0), 0);
    stop(&mut nats.0);

    // Figures for the note: events per second over the run, and the latency from the gate's
    // event to the consumer's first delivery, with and without the events the outage held.
    let mut live: Vec<i64> = seen
        .by_id
        .values()
        .filter(|v| v.2 < down_at || v.2 > up_at)
        .map(|v| v.1)
        .collect();
    let mut all_lat: Vec<i64> = seen.by_id.values().map(|v| v.1).collect();
    // Steady state: every gate running and the broker up (from 5 s after the last gate
    // started until the broker stopped).
    let mut steady: Vec<i64> = seen
        .by_id
        .values()
        .filter(|v| v.2 > listening_at + 5000 && v.2 < down_at)
        .map(|v| v.1)
        .collect();
    steady.sort_unstable();
    live.sort_unstable();
    all_lat.sort_unstable();
    println!(
        "fleet: {GATES} gates, {} events ({ended} passages) in {:.1} s = {:.1} events/s; \
         {redelivered} redelivered to the consumer and deduplicated by Nats-Msg-Id; \
         first passage after the restart {:.2} s after it",
        n,
        ran_for.as_secs_f64(),
        n as f64 / ran_for.as_secs_f64(),
        caught_up_in.as_secs_f64()
    );
    println!(
        "fleet latency (gate event -> consumer), broker up: p50 {} ms, p95 {} ms (n = {}); \
         all events incl. those spooled during the 5 s outage: p50 {} ms, p95 {} ms",
        percentile(&live, 0.5),
        percentile(&live, 0.95),
        live.len(),
        percentile(&all_lat, 0.5),
        percentile(&all_lat, 0.95)
    );
    if steady.is_empty() {
        println!("fleet latency, steady state: no event between the gates' start and the outage");
    } else {
        println!(
            "fleet latency (gate event -> consumer), steady state (all gates running, broker up): \
             p50 {} ms, p95 {} ms (n = {})",
            percentile(&steady, 0.5),
            percentile(&steady, 0.95),
            steady.len()
        );
    }
}

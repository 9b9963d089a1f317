//! Several engines on one token, uncoordinated, against one simulated HubSpot on one virtual
//! clock: the window reads `X-HubSpot-RateLimit-Remaining` (see `window.rs`).

use std::collections::{BTreeMap, BTreeSet};

use super::*;

/// What a run of `clients` engines came to.
struct Shared {
    results: Vec<BatchUpdateResult>,
    /// When the last engine was done.
    end: f64,
}

/// Drives `clients` engines, each over `n` inputs, started at once, against `sim` (whose
/// answers carry the rate-limit headers), as as many drivers in one JS event loop would:
/// each engine performs its actions until it waits, in turn; answers come back after
/// `sim.latency` plus up to `jitter` ms.
fn drive_shared(
    clients: usize,
    config: &ClientConfig,
    n: usize,
    sim: &mut Sim,
    jitter: f64,
) -> Shared {
    let mut engines: Vec<Option<Engine>> = (0..clients)
        .map(|c| Some(new_engine(config.clone(), inputs(n), 0.0, c as u64 + 1)))
        .collect();
    let mut wake = vec![0.0; clients];
    let mut results: Vec<Option<BatchUpdateResult>> = vec![None; clients];
    // (due, client, id, reply)
    let mut pending: Vec<(f64, usize, u64, Reply)> = Vec::new();
    let mut heard: BTreeMap<(usize, u64), Body> = BTreeMap::new();
    let mut cancelled: BTreeSet<(usize, u64)> = BTreeSet::new();
    let mut rng: u64 = 0x2545_F491_4F6C_DD1D;
    let mut now = 0.0;
    let mut end = 0.0;
    for _ in 0..1_000_000 {
        for c in 0..clients {
            if results[c].is_some() || wake[c] > now {
                continue;
            }
            let Some(engine) = engines[c].as_mut() else {
                continue;
            };
            loop {
                match engine.poll(now) {
                    Action::Send(out) => {
                        let reply = sim.respond_with_headers(&out.request, now);
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        let delay = sim.latency + jitter * (rng % 1000) as f64 / 1000.0;
                        if reply != Reply::Silence {
                            pending.push((now + delay, c, out.id, reply));
                        }
                    }
                    Action::Read(id) => {
                        let body = heard.remove(&(c, id)).expect("read an answer not heard");
                        engine.handle(now, Event::Body { id, body });
                    }
                    Action::Cancel(id) => {
                        cancelled.insert((c, id));
                    }
                    Action::Acquire(_) | Action::Release { .. } => {
                        panic!("no shared limiter here")
                    }
                    Action::Done => {
                        let done = engines[c].take().expect("running");
                        results[c] = Some(done.finish(now).unwrap());
                        end = now;
                        break;
                    }
                    Action::WaitUntil(t) => {
                        wake[c] = t;
                        break;
                    }
                    Action::AwaitEvent => {
                        wake[c] = f64::INFINITY;
                        break;
                    }
                }
            }
        }
        if results.iter().all(Option::is_some) {
            return Shared {
                results: results.into_iter().flatten().collect(),
                end,
            };
        }
        let next = pending.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
        now = (0..clients)
            .filter(|c| results[*c].is_none())
            .map(|c| wake[c])
            .fold(next, f64::min);
        assert!(
            now.is_finite(),
            "every engine waits for an event none will send"
        );
        pending.sort_by(|a, b| a.0.total_cmp(&b.0));
        while pending.first().is_some_and(|p| p.0 <= now) {
            let (at, c, id, reply) = pending.remove(0);
            wake[c] = now;
            let Some(engine) = engines[c].as_mut() else {
                continue;
            };
            if cancelled.contains(&(c, id)) {
                continue;
            }
            if let Some(body) = hear(engine, now, id, at, reply) {
                heard.insert((c, id), body);
            }
        }
    }
    panic!("the engines did not finish");
}

/// A token at 100 per 10 s whose answers say so, every deal existing.
fn token(n: usize) -> Sim {
    let mut sim = Sim::new(n);
    sim.limit = Some((100, 10_000.0));
    sim.rate_headers = true;
    sim
}

/// The least wall time for `requests` at 100 per 10 s: (windows - 1) intervals and an answer.
fn bound(requests: u32, latency: f64) -> f64 {
    f64::from(requests.div_ceil(100) - 1) * 10_000.0 + latency
}

#[test]
fn a_client_alone_is_as_fast_as_it_was() {
    for (n, jitter) in [(25_000, 0.0), (25_000, 40.0), (5_000, 0.0), (20_000, 10.0)] {
        let mut sim = token(n);
        let run = drive_shared(1, &config(), n, &mut sim, jitter);
        let r = &run.results[0];
        assert_eq!(sim.window_429s, 0);
        assert_eq!(r.results.len(), n);
        assert_eq!(r.stats.requests, (n / 100) as u32);
        // Before the window read `remaining`: the whole first window at once, each next one
        // when the first slot freed (an interval after the first answer). Now: one request
        // first, the rest of the window once its answer says no one else spends the budget:
        // one round trip more per run, and nothing else (with the clock's slack on each slot).
        let windows = f64::from(r.stats.requests.div_ceil(100));
        let before = (windows - 1.0) * (10_000.0 + CLOCK_SLACK_MS + 50.0) + 50.0;
        let limit = before + 50.0 + jitter * (windows + 1.0);
        assert!(run.end <= limit, "{n}: {} > {limit}", run.end);
    }
}

/// Issue 15's benchmark on the virtual clock: N clients, 5,000 deals each, one token, started
/// together, answers after 50 ms and up to `jitter` more. Before the window read `remaining`,
/// every client sent its whole first window blind (4 clients: 200 requests at once, 100 of them
/// 429s, a third of all requests).
#[test]
fn clients_sharing_a_token_converge_on_it_with_few_429s() {
    for clients in [2, 4, 8] {
        for jitter in [0.0, 5.0, 20.0, 50.0, 100.0] {
            let mut sim = token(5_000);
            let run = drive_shared(clients, &config(), 5_000, &mut sim, jitter);
            let requests: u32 = run.results.iter().map(|r| r.stats.requests).sum();
            let limited: u32 = run.results.iter().map(|r| r.stats.rate_limited).sum();
            for r in &run.results {
                assert_accounted(r, 5_000, &sim);
                assert_eq!(r.results.len(), 5_000, "nothing lost");
            }
            let b = bound(50 * clients as u32, 50.0);
            eprintln!(
                "{clients} clients, jitter {jitter}: {requests} requests, {limited} x 429, wall {:.0} ms, {:.3} x bound",
                run.end,
                run.end / b
            );
            assert_eq!(limited, sim.window_429s);
            assert!(
                f64::from(limited) <= 0.05 * f64::from(requests),
                "{clients} clients, jitter {jitter}: {limited} of {requests} requests were 429s"
            );
            // Converged: the windows are used, whatever the share each client ends up with (a
            // request a window late, after a 429 or a slot no one took, costs the interval).
            assert!(
                run.end <= b + 20_000.0 + 1_000.0,
                "{clients} clients, jitter {jitter}: {} vs bound {b}",
                run.end
            );
        }
    }
}

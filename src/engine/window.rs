//! Rolling-window pacing.
//!
//! A request holds a slot from the moment it is sent until `interval` after its answer
//! arrived. HubSpot counts a request when it receives it, which is after we send it and
//! before we hear back, so releasing the slot relative to the answer can never let HubSpot
//! see more than `requests` in any window, whatever the latency or its jitter. "Heard back"
//! is the moment the answer's status line and headers reached us (HubSpot had counted the
//! request before it sent them), not when its body was read and parsed: the earliest time
//! we can prove, and the one that keeps our own processing out of the pacing. The cost is
//! the spread of one window's answers, carried into the next (BENCHMARKS.md).
//!
//! Until HubSpot has answered once, one request is on the wire at a time (and at most
//! [`BLIND_LIMIT`] slots are used), whatever limit the window was given: the first answer's
//! `X-HubSpot-RateLimit-Max` says what the account allows, and its `-Remaining` whether
//! someone else spends the same budget. Several clients starting together on one token so send
//! one request each blind, not a whole window each. A small run ([`SMALL_RUN`] requests or
//! fewer) sends them all: it is never slowed, and puts only a few requests on the window.
//!
//! Sharing without coordination: HubSpot counts every request on the token, ours and
//! others'. Of ours, it can have counted, when it made an answer, only the slots we held when
//! that request left (each frees later than HubSpot forgets it), that request and those we
//! sent since. When `max - remaining` is more, the rest is someone else's, and from then on
//! the window holds at most a share: the slots held when the answered request left, plus our
//! part of `remaining` in proportion to what we hold of the count (at most as much again, less
//! our slots HubSpot has forgotten, which we refill). Everything we send after that request
//! comes out of the share, as the others take their parts of the same room meanwhile; it grows
//! once per round trip (only an answer to a request sent after the last growth shows what
//! that growth took), and it is forgotten an interval after the last answer (one request at a
//! time again). Clients on one token that all do this grow into the window together instead
//! of each taking all of it. A client alone never sees more counted than it could have sent,
//! so its window is never held back: it pays the one blind round trip per run, nothing else.

/// Where a slot stands.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Slot {
    /// Sent at `sent`, no answer yet. `held`: the slots held when it left, `old` of them sent
    /// an interval or more before (HubSpot may have forgotten those); `seq`: our sends then.
    InFlight {
        id: u64,
        sent: f64,
        held: u32,
        old: u32,
        seq: u32,
    },
    /// Answered; sent at `sent`, frees at `until`.
    Until { sent: f64, until: f64 },
}

/// Slots usable before the first answer: HubSpot's lowest tier, 100 per 10 s, one request on
/// the wire at a time. Its answer tells the account's limit and whether others spend it, so
/// several clients starting together send one request each blind, not a whole window each
/// (the cost, for a client alone: one round trip per run).
pub const BLIND_LIMIT: u32 = 100;

/// A run of at most this many requests sends them all before the first answer: a small run
/// (the demo's, an edge function's) is never slowed by the blind round trip, and several
/// such runs starting together on one token put at most a few requests each on the window.
pub const SMALL_RUN: usize = 5;

/// Added to every slot's hold. The runtime's clock (`Date.now()`) counts whole milliseconds,
/// so a heard time can read up to one early, and it is not the server's clock, which may run a
/// little faster over an interval. Across a network the latency covers both; with a server in
/// the same building, or the emulator in the same process, the answer is heard within a
/// millisecond of its arrival, and a request sent exactly an interval later can reach the
/// server a fraction of a millisecond inside its window (seen once in CI: one 429 at 10 per
/// second). Two milliseconds a window cost nothing measurable.
pub const CLOCK_SLACK_MS: f64 = 2.0;

/// A rolling window of at most `limit` requests per `interval` milliseconds.
#[derive(Clone, Debug, PartialEq)]
pub struct RateWindow {
    limit: u32,
    interval: f64,
    slots: Vec<Slot>,
    /// Whether HubSpot has answered once (and so told its own limit, if it tells).
    confirmed: bool,
    /// Requests sent so far (wrapping).
    sends: u32,
    /// The last answered request's `held`, `old` and how many we sent after it, and when its
    /// answer was heard.
    held: u32,
    old: u32,
    after: u32,
    heard: f64,
    /// Our send count when the share last grew: answers to requests sent before tell nothing
    /// of what that growth (and others', at the same time) took.
    grown: u32,
    /// The most slots to hold while others spend the budget (`u32::MAX`: no one else seen).
    share: u32,
}

impl RateWindow {
    /// A window of `limit` requests per `interval_ms`.
    pub fn new(limit: u32, interval_ms: f64) -> Self {
        RateWindow {
            limit: limit.max(1),
            interval: interval_ms,
            slots: Vec::new(),
            confirmed: false,
            sends: 0,
            held: 0,
            old: 0,
            after: 0,
            heard: 0.0,
            grown: 0,
            share: u32::MAX,
        }
    }

    /// For a run of `requests`: a small one ([`SMALL_RUN`]) starts as if HubSpot had
    /// answered, so all its requests go at once.
    pub fn blind(mut self, requests: usize) -> Self {
        if requests <= SMALL_RUN {
            self.confirmed = true;
        }
        self
    }

    /// Slots usable at `now`: the limit (or our share of it). Before the first answer, and
    /// when what we know of others is an interval old (their requests then have left the
    /// window, and others may have taken ours), one request on the wire at a time (a small
    /// run's all, [`SMALL_RUN`]), and at most [`BLIND_LIMIT`] slots.
    fn usable(&self, now: f64) -> usize {
        let stale = self.share < u32::MAX && now - self.heard >= self.interval;
        let limit = if self.confirmed && !stale {
            self.share
        } else if self
            .slots
            .iter()
            .any(|s| matches!(s, Slot::InFlight { .. }))
        {
            0
        } else {
            (self.slots.len() as u32 + 1).min(BLIND_LIMIT)
        };
        self.limit.min(limit) as usize
    }

    /// Requests allowed per window now (it may shrink to what HubSpot reports).
    pub fn limit(&self) -> u32 {
        self.limit
    }

    fn prune(&mut self, now: f64) {
        self.slots
            .retain(|s| !matches!(s, Slot::Until { until, .. } if *until <= now));
    }

    /// The earliest time a request may be sent: `now` if a slot is free, the time the next
    /// answered slot frees, or `None` if every slot waits on an answer.
    pub fn next_free(&mut self, now: f64) -> Option<f64> {
        self.prune(now);
        let usable = self.usable(now);
        if self.slots.len() < usable {
            return Some(now);
        }
        // Full: the slot that frees first decides, counting how many must free.
        let excess = self.slots.len() + 1 - usable;
        // A loop rather than `filter_map().collect()`: no `from_iter` instance for this use.
        let mut releases: Vec<f64> = Vec::new();
        for s in &self.slots {
            if let Slot::Until { until, .. } = s {
                releases.push(*until);
            }
        }
        if releases.len() < excess {
            return None;
        }
        // The excess-th smallest release time; `excess` is almost always 1, and a selection
        // by repeated minimum keeps the standard sort (and its size) out of the wasm.
        let mut at = None;
        for _ in 0..excess {
            let (pos, t) = releases
                .iter()
                .copied()
                .enumerate()
                .min_by(|a, b| a.1.total_cmp(&b.1))?;
            releases.swap_remove(pos);
            at = Some(t);
        }
        at
    }

    /// The earliest time one of our answered slots frees, if any.
    pub fn earliest_release(&self) -> Option<f64> {
        self.slots
            .iter()
            .filter_map(|s| match s {
                Slot::Until { until, .. } => Some(*until),
                Slot::InFlight { .. } => None,
            })
            .min_by(f64::total_cmp)
    }

    /// Records a request sent at `now`.
    pub fn on_send(&mut self, id: u64, now: f64) {
        self.sends = self.sends.wrapping_add(1);
        let since = now - self.interval;
        let old = self.slots.iter().filter(|s| sent_at(s) <= since).count();
        self.slots.push(Slot::InFlight {
            id,
            sent: now,
            held: self.slots.len() as u32,
            old: old as u32,
            seq: self.sends,
        });
    }

    /// Records that request `id` was answered (or failed) at `heard`: the time its answer
    /// reached us, which HubSpot's arrival precedes.
    pub fn on_answer(&mut self, id: u64, heard: f64) {
        let interval = self.interval;
        for slot in &mut self.slots {
            if let Slot::InFlight {
                id: i,
                sent,
                held,
                old,
                seq,
            } = *slot
            {
                if i == id {
                    (self.held, self.old, self.heard) = (held, old, heard);
                    self.after = self.sends.wrapping_sub(seq);
                    *slot = Slot::Until {
                        sent,
                        until: heard + interval + CLOCK_SLACK_MS,
                    };
                }
            }
        }
    }

    /// Adopts HubSpot's own figures when they are stricter than ours, so a client told
    /// 190 per 10 s on a 100-per-10 s account sends no more than 100 in its first window
    /// (the most usable before this first answer) and none beyond the account's limit after.
    /// Called for every HTTP answer, after [`RateWindow::on_answer`]: any answer confirms the
    /// limit, headers or not. With `max` and `remaining`, it sets our share (module docs).
    pub fn observe(&mut self, max: Option<u32>, interval_ms: Option<f64>, remaining: Option<u32>) {
        self.confirmed = true;
        if let (Some(m), Some(left)) = (max, remaining) {
            let used = m.saturating_sub(left);
            // What HubSpot counted of ours is among the slots held when the answered request
            // left (each frees later than HubSpot forgets it), that request and those sent
            // since: at most `mine`. More used than that is someone else's.
            let mine = self.held.saturating_add(self.after).saturating_add(1);
            if used > mine || self.share < u32::MAX {
                // Ours still counted (about: those HubSpot may have forgotten aside), and our
                // part of the room left in proportion, at most as much again. Our slots
                // HubSpot forgot come out of that part: we refill them.
                let counted = self.held.saturating_sub(self.old).saturating_add(1);
                let part = (u64::from(left) * u64::from(counted)).div_ceil(u64::from(used.max(1)));
                let part = (part.min(u64::from(counted)) as u32).saturating_sub(self.old);
                // The requests we send after this one are taken from the same share.
                let share = self.held.saturating_add(1).saturating_add(part);
                // It grows once per round trip: an answer to a request sent before the last
                // growth does not show what that growth (and the others', meanwhile) took.
                let seq = self.sends.wrapping_sub(self.after);
                if share <= self.share {
                    self.share = share;
                } else if seq > self.grown {
                    self.share = share;
                    self.grown = self.sends;
                }
            }
        }
        if let Some(m) = max {
            if m >= 1 && m < self.limit {
                self.limit = m;
            }
        }
        if let Some(i) = interval_ms {
            if i > self.interval && i <= 86_400_000.0 {
                self.interval = i;
            }
        }
    }
}

/// When the request behind a slot left.
fn sent_at(slot: &Slot) -> f64 {
    match slot {
        Slot::InFlight { sent, .. } | Slot::Until { sent, .. } => *sent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frees_a_slot_interval_after_the_answer() {
        let mut w = RateWindow::new(2, 1000.0);
        w.observe(None, None, None);
        assert_eq!(w.next_free(0.0), Some(0.0));
        w.on_send(1, 0.0);
        w.on_send(2, 0.0);
        assert_eq!(w.next_free(0.0), None, "both in flight: wait for an answer");
        // Freed an interval after the answer, and the clock's slack.
        let slack = CLOCK_SLACK_MS;
        w.on_answer(1, 50.0);
        assert_eq!(w.next_free(60.0), Some(1050.0 + slack));
        w.on_answer(2, 70.0);
        assert_eq!(w.next_free(1050.0 + slack), Some(1050.0 + slack));
        w.on_send(3, 0.0);
        assert_eq!(w.next_free(1050.0 + slack), Some(1070.0 + slack));
    }

    #[test]
    fn sends_one_request_until_the_first_answer() {
        let mut w = RateWindow::new(190, 10_000.0);
        assert_eq!(w.next_free(0.0), Some(0.0));
        w.on_send(0, 0.0);
        assert_eq!(w.next_free(0.0), None, "the second waits for an answer");
        w.on_answer(0, 40.0);
        assert_eq!(
            w.next_free(50.0),
            Some(50.0),
            "a network error tells nothing: the next one may go, alone"
        );
        w.on_send(1, 0.0);
        assert_eq!(w.next_free(50.0), None);
        w.on_answer(1, 60.0);
        w.observe(None, None, None);
        assert_eq!(w.next_free(70.0), Some(70.0), "confirmed: 190 usable");
        for id in 2..190 {
            assert_eq!(w.next_free(70.0), Some(70.0), "request {id}");
            w.on_send(id, 0.0);
        }
        assert_eq!(
            w.next_free(70.0),
            Some(10_040.0 + CLOCK_SLACK_MS),
            "the limit is the limit"
        );
    }

    #[test]
    fn alone_it_uses_the_whole_window_whatever_remaining_says() {
        let mut w = RateWindow::new(100, 10_000.0);
        w.on_send(0, 0.0);
        w.on_answer(0, 40.0);
        w.observe(Some(100), Some(10_000.0), Some(99));
        for id in 1..100 {
            assert_eq!(w.next_free(50.0), Some(50.0), "request {id}");
            w.on_send(id, 0.0);
        }
        // Answers made before some of ours arrived, or after others of ours were forgotten:
        // never more used than we could have had counted.
        for (id, left) in [(1, 99), (2, 0), (50, 40)] {
            w.on_answer(id, 60.0);
            w.observe(Some(100), Some(10_000.0), Some(left));
            assert_eq!(w.share, u32::MAX, "answer to {id}, {left} left");
        }
    }

    #[test]
    fn others_in_the_count_leave_us_our_part_of_the_room() {
        let mut w = RateWindow::new(100, 10_000.0);
        w.on_send(0, 0.0);
        w.on_answer(0, 40.0);
        // Three others had sent one each: 4 used, 1 of them ours.
        w.observe(Some(100), Some(10_000.0), Some(96));
        assert_eq!(w.share, 2, "at most twice what we hold");
        w.on_send(1, 0.0);
        assert_eq!(
            w.next_free(50.0),
            Some(10_040.0 + CLOCK_SLACK_MS),
            "two held: full"
        );
        w.on_answer(1, 90.0);
        // 50 used, 2 ours: 50 left, our part of it in proportion (2 of 50 used).
        w.observe(Some(100), Some(10_000.0), Some(50));
        assert_eq!(w.share, 4);
        // Nothing left: hold what we hold.
        w.observe(Some(100), Some(10_000.0), Some(0));
        assert_eq!(w.share, 2);
    }

    #[test]
    fn adopts_stricter_server_limits_only() {
        let mut w = RateWindow::new(190, 10_000.0);
        w.observe(Some(100), Some(10_000.0), None);
        assert_eq!(w.limit(), 100);
        w.observe(Some(250), Some(1000.0), None);
        assert_eq!(w.limit(), 100);
    }

    #[test]
    fn a_small_run_sends_all_before_the_first_answer_a_larger_one_one() {
        let mut small = RateWindow::new(100, 10_000.0).blind(SMALL_RUN);
        for id in 0..SMALL_RUN as u64 {
            assert_eq!(
                small.next_free(0.0),
                Some(0.0),
                "request {id} of a small run"
            );
            small.on_send(id, 0.0);
        }
        assert_eq!(
            small.limit(),
            100,
            "its requests are few, the limit as given"
        );
        let mut larger = RateWindow::new(100, 10_000.0).blind(SMALL_RUN + 1);
        assert_eq!(larger.next_free(0.0), Some(0.0));
        larger.on_send(0, 0.0);
        assert_eq!(
            larger.next_free(0.0),
            None,
            "one blind request, then the answer"
        );
    }
}

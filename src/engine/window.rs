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
//! Until HubSpot has answered once, at most [`UNCONFIRMED_LIMIT`] slots are used, whatever
//! limit the window was given: every account allows that many, and the first answer's
//! `X-HubSpot-RateLimit-Max` says whether the account allows more.

/// Where a slot stands.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Slot {
    /// Sent, no answer yet (keyed by request id).
    InFlight(u64),
    /// Answered; frees at this time.
    Until(f64),
}

/// Slots usable before the first answer: HubSpot's lowest tier, 100 per 10 s.
pub const UNCONFIRMED_LIMIT: u32 = 100;

/// A rolling window of at most `limit` requests per `interval` milliseconds.
#[derive(Clone, Debug, PartialEq)]
pub struct RateWindow {
    limit: u32,
    interval: f64,
    slots: Vec<Slot>,
    /// Whether HubSpot has answered once (and so told its own limit, if it tells).
    confirmed: bool,
}

impl RateWindow {
    /// A window of `limit` requests per `interval_ms`.
    pub fn new(limit: u32, interval_ms: f64) -> Self {
        RateWindow {
            limit: limit.max(1),
            interval: interval_ms,
            slots: Vec::new(),
            confirmed: false,
        }
    }

    /// Slots usable now: the limit, or at most [`UNCONFIRMED_LIMIT`] before the first answer.
    fn usable(&self) -> usize {
        let limit = if self.confirmed {
            self.limit
        } else {
            self.limit.min(UNCONFIRMED_LIMIT)
        };
        limit as usize
    }

    /// Requests allowed per window now (it may shrink to what HubSpot reports).
    pub fn limit(&self) -> u32 {
        self.limit
    }

    fn prune(&mut self, now: f64) {
        self.slots
            .retain(|s| !matches!(s, Slot::Until(t) if *t <= now));
    }

    /// The earliest time a request may be sent: `now` if a slot is free, the time the next
    /// answered slot frees, or `None` if every slot waits on an answer.
    pub fn next_free(&mut self, now: f64) -> Option<f64> {
        self.prune(now);
        let usable = self.usable();
        if self.slots.len() < usable {
            return Some(now);
        }
        // Full: the slot that frees first decides, counting how many must free.
        let excess = self.slots.len() + 1 - usable;
        // A loop rather than `filter_map().collect()`: no `from_iter` instance for this use.
        let mut releases: Vec<f64> = Vec::new();
        for s in &self.slots {
            if let Slot::Until(t) = s {
                releases.push(*t);
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
                Slot::Until(t) => Some(*t),
                Slot::InFlight(_) => None,
            })
            .min_by(f64::total_cmp)
    }

    /// Records a request sent.
    pub fn on_send(&mut self, id: u64) {
        self.slots.push(Slot::InFlight(id));
    }

    /// Records that request `id` was answered (or failed) at `heard`: the time its answer
    /// reached us, which HubSpot's arrival precedes.
    pub fn on_answer(&mut self, id: u64, heard: f64) {
        let interval = self.interval;
        if let Some(slot) = self.slots.iter_mut().find(|s| **s == Slot::InFlight(id)) {
            *slot = Slot::Until(heard + interval);
        }
    }

    /// Adopts HubSpot's own figures when they are stricter than ours, so a client told
    /// 190 per 10 s on a 100-per-10 s account sends no more than 100 in its first window
    /// (the most usable before this first answer) and none beyond the account's limit after.
    /// Called for every HTTP answer: any answer confirms the limit, headers or not.
    pub fn observe(&mut self, max: Option<u32>, interval_ms: Option<f64>) {
        self.confirmed = true;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frees_a_slot_interval_after_the_answer() {
        let mut w = RateWindow::new(2, 1000.0);
        assert_eq!(w.next_free(0.0), Some(0.0));
        w.on_send(1);
        w.on_send(2);
        assert_eq!(w.next_free(0.0), None, "both in flight: wait for an answer");
        w.on_answer(1, 50.0);
        assert_eq!(w.next_free(60.0), Some(1050.0));
        w.on_answer(2, 70.0);
        assert_eq!(w.next_free(1050.0), Some(1050.0));
        w.on_send(3);
        assert_eq!(w.next_free(1050.0), Some(1070.0));
    }

    #[test]
    fn uses_at_most_the_lowest_tier_until_the_first_answer() {
        let mut w = RateWindow::new(190, 10_000.0);
        for id in 0..100 {
            assert_eq!(w.next_free(0.0), Some(0.0));
            w.on_send(id);
        }
        assert_eq!(w.next_free(0.0), None, "101st waits for an answer");
        w.on_answer(0, 40.0);
        assert_eq!(
            w.next_free(50.0),
            Some(10_040.0),
            "an answer alone does not confirm: a network error tells nothing"
        );
        w.observe(None, None);
        assert_eq!(w.next_free(50.0), Some(50.0), "confirmed: 190 usable");
        let mut small = RateWindow::new(5, 1000.0);
        for id in 0..5 {
            small.on_send(id);
        }
        assert_eq!(
            small.next_free(0.0),
            None,
            "below 100 the limit is the limit"
        );
    }

    #[test]
    fn adopts_stricter_server_limits_only() {
        let mut w = RateWindow::new(190, 10_000.0);
        w.observe(Some(100), Some(10_000.0));
        assert_eq!(w.limit(), 100);
        w.observe(Some(250), Some(1000.0));
        assert_eq!(w.limit(), 100);
    }
}

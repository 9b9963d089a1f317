//! Rolling-window pacing.
//!
//! A request holds a slot from the moment it is sent until `interval` after its answer
//! arrived. HubSpot counts a request when it receives it, which is after we send it and
//! before we hear back, so releasing the slot relative to the answer can never let HubSpot
//! see more than `requests` in any window, whatever the latency or its jitter. The cost is
//! about one latency per window, measured in BENCHMARKS.md.

/// Where a slot stands.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Slot {
    /// Sent, no answer yet (keyed by request id).
    InFlight(u64),
    /// Answered; frees at this time.
    Until(f64),
}

/// A rolling window of at most `limit` requests per `interval` milliseconds.
#[derive(Clone, Debug, PartialEq)]
pub struct RateWindow {
    limit: u32,
    interval: f64,
    slots: Vec<Slot>,
}

impl RateWindow {
    /// A window of `limit` requests per `interval_ms`.
    pub fn new(limit: u32, interval_ms: f64) -> Self {
        RateWindow {
            limit: limit.max(1),
            interval: interval_ms,
            slots: Vec::new(),
        }
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
        if self.slots.len() < self.limit as usize {
            return Some(now);
        }
        // Full: the slot that frees first decides, counting how many must free.
        let excess = self.slots.len() + 1 - self.limit as usize;
        let mut releases: Vec<f64> = self
            .slots
            .iter()
            .filter_map(|s| match s {
                Slot::Until(t) => Some(*t),
                Slot::InFlight(_) => None,
            })
            .collect();
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

    /// Records the answer (or failure) of request `id` at `now`.
    pub fn on_answer(&mut self, id: u64, now: f64) {
        let interval = self.interval;
        if let Some(slot) = self.slots.iter_mut().find(|s| **s == Slot::InFlight(id)) {
            *slot = Slot::Until(now + interval);
        }
    }

    /// Adopts HubSpot's own figures when they are stricter than ours, so a client told
    /// 190 per 10 s on a 100-per-10 s account stops hitting 429s after its first answer.
    pub fn observe(&mut self, max: Option<u32>, interval_ms: Option<f64>) {
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
    fn adopts_stricter_server_limits_only() {
        let mut w = RateWindow::new(190, 10_000.0);
        w.observe(Some(100), Some(10_000.0));
        assert_eq!(w.limit(), 100);
        w.observe(Some(250), Some(1000.0));
        assert_eq!(w.limit(), 100);
    }
}

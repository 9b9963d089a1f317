//! Permits from a shared rate limiter (the `rateLimiter` option), in place of the engine's
//! own window when several clients share one token's budget.
//!
//! The engine decides; the limiter only counts. Before each send the engine asks for one
//! permit ([`super::Action::Acquire`]) and sends once it is granted ([`super::Event::Permit`],
//! with the time from which it may be used). It gives every permit back
//! ([`super::Action::Release`]): with the time its request's answer arrived, since HubSpot
//! counted the request on arrival, somewhere between our send and that answer, so the
//! limiter holds the slot until one interval after it (the rule of `window.rs`, which makes
//! latency and its jitter harmless); or with no time when the request was never sent, and
//! the slot frees at once. A permit is used as soon as it may be, or given back: the engine
//! never holds a slot for a request that waits on something else (a 429's pause, a backoff).

/// Where the engine's one request for a permit stands.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Asking {
    /// None asked for.
    Idle,
    /// Asked for request `id`; not granted yet.
    Asked(u64),
    /// Granted for request `id`, usable from `at`.
    Held(u64, f64),
}

/// The engine's permits: at most one asked for or held at a time, and those to give back.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Permits {
    asking: Asking,
    /// Request id and when its answer arrived (`None`: never sent), newest last.
    releases: Vec<(u64, Option<f64>)>,
}

/// What the permits say about a send due at `now`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Permit {
    /// Ask for a permit for request `id`.
    Ask(u64),
    /// Send request `id` now, under its permit.
    Send(u64),
    /// A permit is asked for: nothing is sent before it comes.
    Wait,
}

impl Permits {
    pub(super) fn new() -> Self {
        Permits {
            asking: Asking::Idle,
            releases: Vec::new(),
        }
    }

    /// Gives back request `id`'s permit: `answered` is when its answer arrived, `None` when
    /// it was never sent.
    pub(super) fn give_back(&mut self, id: u64, answered: Option<f64>) {
        self.releases.push((id, answered));
    }

    /// The next permit to give back (any order: they are all due now).
    pub(super) fn next_release(&mut self) -> Option<(u64, Option<f64>)> {
        self.releases.pop()
    }

    /// The limiter granted request `id`'s permit, usable from `at` (`None`: the limiter
    /// failed, and the request goes at once, as without one). A permit given back before it
    /// came is not taken: the driver hands it back as it arrives.
    pub(super) fn granted(&mut self, id: u64, at: Option<f64>, now: f64) {
        if self.asking == Asking::Asked(id) {
            let at = at.filter(|t| t.is_finite()).unwrap_or(now);
            let at = at.clamp(now, now + crate::response::MAX_RETRY_AFTER_MS);
            self.asking = Asking::Held(id, at);
        }
    }

    /// Gives back a permit that would wait: one held while the next send is due later than
    /// it may be used (or nothing is left to send), one asked for when nothing is left to
    /// send. `due` is when the next request could leave without a limiter.
    pub(super) fn drop_unusable(&mut self, due: Option<f64>, queued: bool, now: f64) {
        let unusable = match self.asking {
            Asking::Idle => return,
            Asking::Asked(_) => !queued,
            Asking::Held(_, at) => due.is_none_or(|t| t > at.max(now)),
        };
        if unusable {
            if let Asking::Asked(id) | Asking::Held(id, _) = self.asking {
                self.give_back(id, None);
            }
            self.asking = Asking::Idle;
        }
    }

    /// When the next request may leave, given `due`, when it could without a limiter:
    /// `None` while a permit is asked for.
    pub(super) fn due(&self, due: Option<f64>) -> Option<f64> {
        match self.asking {
            Asking::Idle => due,
            Asking::Asked(_) => None,
            Asking::Held(_, at) => due.map(|t| t.max(at)),
        }
    }

    /// A send is due now: ask for a permit for `next_id` (the id the request will have), or
    /// send under the one held.
    pub(super) fn on_due(&mut self, next_id: u64) -> Permit {
        match self.asking {
            Asking::Idle => {
                self.asking = Asking::Asked(next_id);
                Permit::Ask(next_id)
            }
            Asking::Asked(_) => Permit::Wait,
            Asking::Held(id, _) => {
                self.asking = Asking::Idle;
                Permit::Send(id)
            }
        }
    }
}

//! Permits from a shared rate limiter (the `rateLimiter` option), in place of the engine's
//! own window when several clients share one token's budget.
//!
//! The engine decides; the limiter only counts. Before each send the engine asks for one
//! permit ([`super::Action::Acquire`]) and sends once it is granted ([`super::Event::Permit`],
//! reported when it may be used). It gives every permit back
//! ([`super::Action::Release`]): with the time its request's answer arrived, since HubSpot
//! counted the request on arrival, somewhere between our send and that answer, so the
//! limiter holds the slot until one interval after it (the rule of `window.rs`, which makes
//! latency and its jitter harmless); or with no time when the request was never sent, and
//! the slot frees at once. A permit is used at once, or given back: the engine never holds a
//! slot for a request that waits on something else (a 429's pause, a backoff).

#[cfg(feature = "limiter")]
pub(super) use shared::Permits;
/// Without the `limiter` feature (the browser build) there are no permits: the type has no
/// values, so every use of one is dead code and leaves the wasm.
#[cfg(not(feature = "limiter"))]
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Permits {}

/// What the permits say about a send due now.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(not(feature = "limiter"), allow(dead_code))]
pub(super) enum Permit {
    /// Ask for a permit for request `id`.
    Ask(u64),
    /// Send request `id` now, under its permit.
    Send(u64),
}

#[cfg(not(feature = "limiter"))]
impl Permits {
    pub(in crate::engine) fn of(_: &crate::config::ClientConfig) -> Option<Self> {
        None
    }
    pub(in crate::engine) fn give_back(&mut self, _: u64, _: Option<f64>) {
        match *self {}
    }
    pub(in crate::engine) fn next_release(&mut self) -> Option<(u64, Option<f64>)> {
        match *self {}
    }
    pub(in crate::engine) fn granted(&mut self, _: u64) {
        match *self {}
    }
    pub(in crate::engine) fn due(&mut self, _: Option<f64>, _: bool, _: f64) -> Option<f64> {
        match *self {}
    }
    pub(in crate::engine) fn on_due(&mut self, _: u64) -> Permit {
        match *self {}
    }
}

#[cfg(feature = "limiter")]
mod shared {
    use super::Permit;

    /// Where the engine's one request for a permit stands.
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Asking {
        /// None asked for.
        Idle,
        /// Asked for request `id`; not granted yet.
        Asked(u64),
        /// Granted for request `id`: it may be sent now.
        Held(u64),
    }

    /// The engine's permits: at most one asked for or held at a time, and those to give back.
    #[derive(Clone, Debug, PartialEq)]
    pub(in crate::engine) struct Permits {
        asking: Asking,
        /// Request id and when its answer arrived (`None`: never sent), newest last.
        releases: Vec<(u64, Option<f64>)>,
    }

    impl Permits {
        /// The permits of a run, when a shared limiter paces it.
        pub(in crate::engine) fn of(config: &crate::config::ClientConfig) -> Option<Self> {
            config.shared_limiter.then(|| Permits {
                asking: Asking::Idle,
                releases: Vec::new(),
            })
        }

        /// Gives back request `id`'s permit: `answered` is when its answer arrived, `None` when
        /// it was never sent.
        pub(in crate::engine) fn give_back(&mut self, id: u64, answered: Option<f64>) {
            self.releases.push((id, answered));
        }

        /// The next permit to give back (any order: they are all due now).
        pub(in crate::engine) fn next_release(&mut self) -> Option<(u64, Option<f64>)> {
            self.releases.pop()
        }

        /// The limiter granted request `id`'s permit. A permit given back before it came is not
        /// taken: the driver hands it back as it arrives.
        pub(in crate::engine) fn granted(&mut self, id: u64) {
            if self.asking == Asking::Asked(id) {
                self.asking = Asking::Held(id);
            }
        }

        /// Gives back a permit that would wait: one held while no request can leave now (a
        /// 429's pause, a backoff, nothing left), one asked for when nothing is left to send.
        /// `due` is when the next request could leave without a limiter. Then: `None` while a
        /// permit is asked for, else `due`.
        pub(in crate::engine) fn due(
            &mut self,
            due: Option<f64>,
            queued: bool,
            now: f64,
        ) -> Option<f64> {
            let (id, unusable) = match self.asking {
                Asking::Idle => return due,
                Asking::Asked(id) => (id, !queued),
                Asking::Held(id) => (id, due != Some(now)),
            };
            if unusable {
                self.give_back(id, None);
                self.asking = Asking::Idle;
                return due;
            }
            match self.asking {
                Asking::Asked(_) => None,
                _ => due,
            }
        }

        /// A send is due now: ask for a permit for `next_id` (the id the request will have), or
        /// send under the one held.
        pub(in crate::engine) fn on_due(&mut self, next_id: u64) -> Permit {
            match self.asking {
                Asking::Held(id) => {
                    self.asking = Asking::Idle;
                    Permit::Send(id)
                }
                _ => {
                    self.asking = Asking::Asked(next_id);
                    Permit::Ask(next_id)
                }
            }
        }
    }
}

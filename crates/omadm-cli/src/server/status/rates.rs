//! The server's memory of the last hour: one slot per second with the accepted, failed and
//! ignored-by-reason counts. Ignored messages are never stored, so this window (and the
//! counters) are the only place where they become visible.
//!
//! Time is an argument (whole Unix seconds): the caller reads the clock. A clock that jumps
//! back only makes some slots count twice or not at all; nothing is lost beyond the window.

use std::collections::BTreeMap;

use crate::server::gate::Reason;

/// How many seconds the window holds.
pub(crate) const WINDOW_SECS: u64 = 3600;

/// One slot per second of the last [`WINDOW_SECS`] seconds.
#[derive(Debug)]
pub(crate) struct Rates {
    slots: Vec<Slot>,
}

#[derive(Clone, Debug, Default)]
struct Slot {
    /// The Unix second this slot holds; a slot whose second is older is stale.
    sec: u64,
    accepted: u64,
    reports: u64,
    failed: u64,
    /// Few reasons per second: a vector beats a map (and allocates only when needed).
    ignored: Vec<(Reason, u64)>,
}

/// Sums over a span of seconds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    /// The span, in seconds.
    pub(crate) secs: u64,
    pub(crate) accepted: u64,
    pub(crate) reports: u64,
    pub(crate) failed: u64,
    pub(crate) ignored: BTreeMap<Reason, u64>,
}

impl Totals {
    /// Ignored messages, all reasons together.
    pub(crate) fn ignored_total(&self) -> u64 {
        self.ignored.values().sum()
    }
}

impl Default for Rates {
    fn default() -> Self {
        Self {
            slots: vec![Slot::default(); usize::try_from(WINDOW_SECS).unwrap_or(3600)],
        }
    }
}

impl Rates {
    /// One message accepted at `now` with `reports` reports.
    pub(crate) fn accepted(&mut self, now: u64, reports: u64) {
        let slot = self.slot(now);
        slot.accepted += 1;
        slot.reports += reports;
    }

    /// `messages` messages answered 503 at `now`.
    pub(crate) fn failed(&mut self, now: u64, messages: u64) {
        self.slot(now).failed += messages;
    }

    /// One message ignored at `now` for `reason`.
    pub(crate) fn ignored(&mut self, now: u64, reason: Reason) {
        let slot = self.slot(now);
        match slot.ignored.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, n)) => *n += 1,
            None => slot.ignored.push((reason, 1)),
        }
    }

    /// The sums of the `secs` seconds up to and including `now` (at most the window).
    pub(crate) fn totals(&self, now: u64, secs: u64) -> Totals {
        let secs = secs.clamp(1, WINDOW_SECS);
        let mut totals = Totals {
            secs,
            ..Totals::default()
        };
        for slot in self.live(now, secs) {
            totals.accepted += slot.accepted;
            totals.reports += slot.reports;
            totals.failed += slot.failed;
            for (reason, n) in &slot.ignored {
                *totals.ignored.entry(reason).or_insert(0) += n;
            }
        }
        totals
    }

    /// (accepted, ignored) for each of the `secs` seconds up to and including `now`, oldest
    /// first; seconds without traffic are zeros.
    pub(crate) fn per_second(&self, now: u64, secs: u64) -> Vec<(u64, u64)> {
        let secs = secs.clamp(1, WINDOW_SECS);
        (0..secs)
            .rev()
            .map(|back| {
                let sec = now.saturating_sub(back);
                let slot = &self.slots[index(sec)];
                if slot.sec == sec && sec != 0 {
                    (slot.accepted, slot.ignored.iter().map(|(_, n)| n).sum())
                } else {
                    (0, 0)
                }
            })
            .collect()
    }

    fn live(&self, now: u64, secs: u64) -> impl Iterator<Item = &Slot> {
        let oldest = now.saturating_sub(secs - 1);
        self.slots
            .iter()
            .filter(move |s| s.sec != 0 && s.sec >= oldest && s.sec <= now)
    }

    fn slot(&mut self, now: u64) -> &mut Slot {
        let slot = &mut self.slots[index(now)];
        if slot.sec != now {
            *slot = Slot {
                sec: now,
                ..Slot::default()
            };
        }
        slot
    }
}

fn index(sec: u64) -> usize {
    // invariant: the remainder is below WINDOW_SECS (3600), which fits any usize.
    usize::try_from(sec % WINDOW_SECS).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: u64 = 1_800_000_000;

    #[test]
    fn sums_cover_exactly_the_span() {
        let mut r = Rates::default();
        r.accepted(T - 61, 2); // outside the last minute, inside the hour
        r.accepted(T - 59, 3);
        r.ignored(T - 10, "bad-mac");
        r.ignored(T - 10, "bad-mac");
        r.ignored(T, "replayed");
        r.failed(T, 4);
        let minute = r.totals(T, 60);
        assert_eq!((minute.accepted, minute.reports, minute.failed), (1, 3, 4));
        assert_eq!(minute.ignored.get("bad-mac"), Some(&2));
        assert_eq!(minute.ignored_total(), 3);
        let hour = r.totals(T, 3600);
        assert_eq!((hour.accepted, hour.reports), (2, 5));
    }

    #[test]
    fn old_slots_are_reused_not_summed() {
        let mut r = Rates::default();
        r.accepted(T, 1);
        // One window later the same slot holds a new second.
        r.accepted(T + WINDOW_SECS, 1);
        assert_eq!(r.totals(T + WINDOW_SECS, WINDOW_SECS).accepted, 1);
        assert_eq!(r.totals(T + 2 * WINDOW_SECS, 60).accepted, 0);
    }

    #[test]
    fn per_second_is_oldest_first_with_gaps() {
        let mut r = Rates::default();
        r.accepted(T - 2, 1);
        r.ignored(T, "too-large");
        r.ignored(T, "bad-mac");
        assert_eq!(r.per_second(T, 4), vec![(0, 0), (1, 0), (0, 0), (0, 2)]);
    }
}

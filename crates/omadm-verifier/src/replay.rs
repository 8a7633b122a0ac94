//! Anti-replay: a per-(device, nonce) sliding window over `MsgID`, like IPsec's, kept as a small
//! value the I/O edge can persist.

use core::fmt;
use std::time::{Duration, SystemTime};

use omadm_dmsec::Nonce;
use omadm_syncml::MsgId;

use crate::error::{IgnoreReason, Ignored, ReplayStateError};
use crate::verify::ReplayClaim;

/// How many `MsgID`s below the highest one seen a window remembers.
pub const WINDOW_WIDTH: u32 = 64;

/// The anti-replay state of one device: one window per nonce the device has signed with, most
/// recently used first, at most [`ReplayState::MAX_WINDOWS`].
///
/// Each window remembers the highest `MsgID` accepted under its nonce and a 64-bit map of which of
/// the 64 `MsgID`s up to and including it were accepted. A `MsgID` already accepted, or more than
/// 63 below the highest, is a replay. A new nonce opens a new window; when there are more than
/// [`MAX_WINDOWS`](Self::MAX_WINDOWS), the least recently used one is dropped. Dropping is safe
/// because the verifier checks MACs with the device's current nonce only: a message signed with
/// a nonce whose window was dropped no longer authenticates (unless the operator hands that very
/// nonce out again).
///
/// The state is updated only for authenticated messages
/// ([`Authenticated::record`](crate::Authenticated::record), or [`ReplayState::record`] with the
/// [`ReplayClaim`] of an [`Authenticated`](crate::Authenticated)). It is persisted with
/// [`to_bytes`](Self::to_bytes) / [`from_bytes`](Self::from_bytes): at most
/// `2 + 4 × (1 + 64 + 4 + 8 + 8)` = 342 bytes, 27 bytes for one 16-byte nonce.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ReplayState {
    /// Most recently used first.
    windows: Vec<Window>,
}

impl ReplayState {
    /// Most windows (nonces) kept per device.
    pub const MAX_WINDOWS: usize = 4;

    /// Format version written by [`to_bytes`](Self::to_bytes).
    const VERSION: u8 = 1;

    /// An empty state: no message seen yet.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            windows: Vec::new(),
        }
    }

    /// Whether `msg_id` under `nonce` would be accepted now (it was not seen, and is inside or
    /// ahead of the window). Does not change the state.
    #[must_use]
    pub fn is_fresh(&self, nonce: &Nonce, msg_id: MsgId) -> bool {
        self.windows
            .iter()
            .find(|w| w.nonce == *nonce)
            .is_none_or(|w| w.check(msg_id.get()).is_ok())
    }

    /// The anti-replay check of an authenticated message: records its `MsgID` under its nonce if
    /// it is fresh, else leaves the state unchanged. `now` is kept as the window's last-use time
    /// (for operators, see [`last_accepted`](Self::last_accepted)); it plays no part in the
    /// decision, so a clock that jumps cannot reopen a window.
    ///
    /// # Errors
    /// [`IgnoreReason::Replayed`] if the `MsgID` was already recorded under the nonce, or is 64 or
    /// more below the highest one recorded.
    pub fn record(&mut self, claim: &ReplayClaim, now: SystemTime) -> Result<(), Ignored> {
        if self.accept(claim.nonce(), claim.msg_id(), now) {
            Ok(())
        } else {
            Err(Ignored::new(IgnoreReason::Replayed))
        }
    }

    /// Records `msg_id` under `nonce` if it is fresh; returns whether it was.
    fn accept(&mut self, nonce: &Nonce, msg_id: MsgId, now: SystemTime) -> bool {
        let msg_id = msg_id.get();
        let now = unix_seconds(now);
        match self.windows.iter().position(|w| w.nonce == *nonce) {
            Some(at) => {
                let window = &mut self.windows[at];
                let Ok(slot) = window.check(msg_id) else {
                    return false;
                };
                window.mark(slot);
                window.last_used = now;
                // Move to the front: most recently used first.
                self.windows[..=at].rotate_right(1);
            }
            None => {
                self.windows.insert(
                    0,
                    Window {
                        nonce: *nonce,
                        highest: msg_id,
                        seen: 1,
                        last_used: now,
                    },
                );
                self.windows.truncate(Self::MAX_WINDOWS);
            }
        }
        true
    }

    /// How many windows (nonces) the state holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.windows.len()
    }

    /// Whether no message was ever recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    /// The highest `MsgID` accepted under `nonce`, if its window is held.
    #[must_use]
    pub fn highest(&self, nonce: &Nonce) -> Option<MsgId> {
        self.windows
            .iter()
            .find(|w| w.nonce == *nonce)
            .and_then(|w| MsgId::new(w.highest).ok())
    }

    /// The `now` given when the last message was accepted (whole seconds), if any.
    #[must_use]
    pub fn last_accepted(&self) -> Option<SystemTime> {
        self.windows
            .first()
            .map(|w| SystemTime::UNIX_EPOCH + Duration::from_secs(w.last_used))
    }

    /// The compact, versioned byte form: version (1), window count, then per window the nonce
    /// length and bytes, the highest `MsgID` (u32), the seen map (u64) and the last-use time
    /// (u64 seconds since the Unix epoch), big-endian, most recently used first.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 + self.windows.len() * (1 + 16 + 4 + 8 + 8));
        out.push(Self::VERSION);
        // invariant: at most MAX_WINDOWS (4) windows are ever held, which fits a byte.
        out.push(u8::try_from(self.windows.len()).unwrap_or(u8::MAX));
        for w in &self.windows {
            let nonce = w.nonce.as_bytes();
            // invariant: a Nonce is at most 64 bytes long.
            out.push(u8::try_from(nonce.len()).unwrap_or(u8::MAX));
            out.extend_from_slice(nonce);
            out.extend_from_slice(&w.highest.to_be_bytes());
            out.extend_from_slice(&w.seen.to_be_bytes());
            out.extend_from_slice(&w.last_used.to_be_bytes());
        }
        out
    }

    /// Reads the form written by [`to_bytes`](Self::to_bytes), checking every field.
    ///
    /// # Errors
    /// A [`ReplayStateError`] for an unknown version, a truncated or overlong input, more than
    /// [`MAX_WINDOWS`](Self::MAX_WINDOWS) windows, a nonce of invalid length, a nonce held twice,
    /// or a window whose highest `MsgID` and seen map disagree.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ReplayStateError> {
        let mut input = Input(bytes);
        if input.u8()? != Self::VERSION {
            return Err(ReplayStateError::Version);
        }
        let count = usize::from(input.u8()?);
        if count > Self::MAX_WINDOWS {
            return Err(ReplayStateError::TooManyWindows);
        }
        let mut windows = Vec::with_capacity(count);
        for _ in 0..count {
            let len = usize::from(input.u8()?);
            let nonce = Nonce::new(input.take(len)?).map_err(|_| ReplayStateError::Nonce)?;
            let highest = u32::from_be_bytes(input.array()?);
            let seen = u64::from_be_bytes(input.array()?);
            let last_used = u64::from_be_bytes(input.array()?);
            // The highest MsgID is itself accepted (bit 0), MsgIDs are never 0, so no bit may
            // stand for a MsgID below 1.
            let below_one = if highest >= WINDOW_WIDTH {
                0
            } else {
                seen.checked_shr(highest).unwrap_or(0)
            };
            if highest == 0 || seen & 1 == 0 || below_one != 0 {
                return Err(ReplayStateError::Window);
            }
            if windows.iter().any(|w: &Window| w.nonce == nonce) {
                return Err(ReplayStateError::DuplicateNonce);
            }
            windows.push(Window {
                nonce,
                highest,
                seen,
                last_used,
            });
        }
        if !input.0.is_empty() {
            return Err(ReplayStateError::TrailingBytes);
        }
        Ok(Self { windows })
    }
}

impl fmt::Debug for ReplayState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.windows).finish()
    }
}

/// One nonce's window.
#[derive(Clone, PartialEq, Eq)]
struct Window {
    nonce: Nonce,
    /// The highest MsgID accepted.
    highest: u32,
    /// Bit `i` set: MsgID `highest - i` was accepted.
    seen: u64,
    /// Seconds since the Unix epoch at the last acceptance.
    last_used: u64,
}

/// Where an acceptable MsgID goes.
enum Slot {
    /// Ahead of the window by this much: the window slides.
    Ahead(u32),
    /// Inside the window, this many below the highest.
    Behind(u32),
}

impl Window {
    /// Where `msg_id` goes, or `Err` if it is a replay (seen, or older than the window).
    fn check(&self, msg_id: u32) -> Result<Slot, ()> {
        if msg_id > self.highest {
            return Ok(Slot::Ahead(msg_id - self.highest));
        }
        let behind = self.highest - msg_id;
        if behind >= WINDOW_WIDTH || self.seen & (1u64 << behind) != 0 {
            return Err(());
        }
        Ok(Slot::Behind(behind))
    }

    fn mark(&mut self, slot: Slot) {
        match slot {
            Slot::Ahead(by) => {
                self.seen = self.seen.checked_shl(by).unwrap_or(0) | 1;
                self.highest += by;
            }
            Slot::Behind(behind) => self.seen |= 1u64 << behind,
        }
    }
}

impl fmt::Debug for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Window")
            .field("nonce", &self.nonce)
            .field("highest", &self.highest)
            .field("seen", &format_args!("{:#018x}", self.seen))
            .field("last_used", &self.last_used)
            .finish()
    }
}

/// Whole seconds since the Unix epoch; a time before it counts as the epoch.
fn unix_seconds(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A cursor over the bytes being read.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ReplayStateError> {
        if self.0.len() < n {
            return Err(ReplayStateError::Truncated);
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, ReplayStateError> {
        Ok(self.array::<1>()?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ReplayStateError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn id(n: u32) -> MsgId {
        MsgId::new(n).unwrap()
    }

    fn nonce(b: u8) -> Nonce {
        Nonce::new(&[b; 16]).unwrap()
    }

    #[test]
    fn window_slides_and_remembers() {
        let t = SystemTime::UNIX_EPOCH;
        let mut s = ReplayState::new();
        let n = nonce(1);
        assert!(s.accept(&n, id(10), t));
        assert!(!s.accept(&n, id(10), t));
        assert!(s.accept(&n, id(5), t));
        assert!(!s.accept(&n, id(5), t));
        assert!(s.accept(&n, id(73), t)); // 10 is now 63 behind: still in
        assert!(s.accept(&n, id(74), t)); // 10 falls out
        assert!(!s.accept(&n, id(10), t));
        assert!(s.accept(&n, id(11), t));
        assert!(s.accept(&n, id(1000), t));
        assert!(!s.accept(&n, id(74), t));
        assert_eq!(s.highest(&n), Some(id(1000)));
    }

    #[test]
    fn bounded_windows_most_recent_first() {
        let t = SystemTime::UNIX_EPOCH;
        let mut s = ReplayState::new();
        for b in 0..10 {
            assert!(s.accept(&nonce(b), id(1), t));
        }
        assert_eq!(s.len(), ReplayState::MAX_WINDOWS);
        assert!(!s.is_fresh(&nonce(9), id(1)));
        assert!(s.is_fresh(&nonce(0), id(1)));
        // Using an older window moves it to the front so it survives.
        assert!(s.accept(&nonce(6), id(2), t));
        for b in 20..23 {
            assert!(s.accept(&nonce(b), id(1), t));
        }
        assert!(!s.is_fresh(&nonce(6), id(2)));
    }

    #[test]
    fn bytes_round_trip_and_reject() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut s = ReplayState::new();
        s.accept(&nonce(1), id(3), t);
        s.accept(&nonce(1), id(1), t);
        s.accept(&nonce(2), id(70), t);
        let bytes = s.to_bytes();
        assert_eq!(ReplayState::from_bytes(&bytes).unwrap(), s);
        assert_eq!(s.last_accepted(), Some(t));
        assert_eq!(
            ReplayState::from_bytes(&bytes[..bytes.len() - 1]),
            Err(ReplayStateError::Truncated)
        );
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(
            ReplayState::from_bytes(&long),
            Err(ReplayStateError::TrailingBytes)
        );
        let mut v = bytes.clone();
        v[0] = 9;
        assert_eq!(ReplayState::from_bytes(&v), Err(ReplayStateError::Version));
        assert_eq!(
            ReplayState::from_bytes(&[]),
            Err(ReplayStateError::Truncated)
        );
        assert_eq!(
            ReplayState::from_bytes(&[1, 0]).unwrap(),
            ReplayState::new()
        );
    }
}

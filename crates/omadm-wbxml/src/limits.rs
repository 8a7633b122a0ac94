//! The bounds the decoder enforces while it reads, so that hostile input costs little.

/// The bounds the decoder checks as it reads. Every limit is inclusive: a value equal to the limit
/// passes. The same idea, names and defaults as `omadm-xml`'s `Limits`, plus the string table.
///
/// ```
/// use omadm_wbxml::Limits;
///
/// let strict = Limits::default().with_max_size(64 * 1024).with_max_string_table(4096);
/// assert_eq!(strict.max_size, 65536);
/// assert_eq!(Limits::default().max_depth, 32);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    /// The largest input, in bytes (checked before anything is read). Default 1 MiB.
    pub max_size: usize,
    /// The deepest element nesting; the root is at depth 1. Default 32. Values above
    /// [`Limits::MAX_DEPTH`] act as [`Limits::MAX_DEPTH`].
    pub max_depth: usize,
    /// The most elements in the whole input. Default 100 000.
    pub max_elements: usize,
    /// The longest text of one element (after joining its pieces), in bytes. Default 1 MiB.
    pub max_text: usize,
    /// The longest string table, in bytes. Default 64 KiB.
    pub max_string_table: usize,
}

impl Limits {
    /// The hard ceiling on nesting depth, whatever `max_depth` says (it bounds the decoder's
    /// recursion into `Atomic` and `Sequence`).
    pub const MAX_DEPTH: usize = 256;

    /// The defaults: 1 MiB, depth 32, 100 000 elements, 1 MiB of text, 64 KiB of string table.
    pub const DEFAULT: Limits = Limits {
        max_size: 1 << 20,
        max_depth: 32,
        max_elements: 100_000,
        max_text: 1 << 20,
        max_string_table: 64 << 10,
    };

    /// The defaults (same as [`Limits::DEFAULT`]).
    pub const fn new() -> Self {
        Self::DEFAULT
    }

    /// Sets [`Limits::max_size`].
    #[must_use]
    pub const fn with_max_size(mut self, bytes: usize) -> Self {
        self.max_size = bytes;
        self
    }

    /// Sets [`Limits::max_depth`].
    #[must_use]
    pub const fn with_max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// Sets [`Limits::max_elements`].
    #[must_use]
    pub const fn with_max_elements(mut self, elements: usize) -> Self {
        self.max_elements = elements;
        self
    }

    /// Sets [`Limits::max_text`].
    #[must_use]
    pub const fn with_max_text(mut self, bytes: usize) -> Self {
        self.max_text = bytes;
        self
    }

    /// Sets [`Limits::max_string_table`].
    #[must_use]
    pub const fn with_max_string_table(mut self, bytes: usize) -> Self {
        self.max_string_table = bytes;
        self
    }

    /// The depth actually enforced.
    pub(crate) fn depth(&self) -> usize {
        if self.max_depth < Self::MAX_DEPTH {
            self.max_depth
        } else {
            Self::MAX_DEPTH
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

//! The discovery job of seed §5.5: read `./DevDetail/SessionlessRpt` to learn whether the client
//! supports sessionless reporting and, when the caller names a target and the device offers the
//! placeholder node, `Replace` the configuration nodes the caller names.

use omadm_syncml::StatusCode;

use crate::event::Ticket;
use crate::tree::NodeValue;
use crate::wire::Node;

/// The node a client publishes its support in (the same path `omadm-emitter::discovery`
/// publishes; see docs/INTERPRETATION.md).
pub const NODE_PATH: &str = "./DevDetail/SessionlessRpt";

/// What to configure when the device supports sessionless reporting and offers the placeholder.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiscoveryTarget {
    /// The placeholder node the MO provides (e.g. `./Vendor/MO/SessionlessRpt`); it is read with
    /// a `Get`, and only a 200 answer counts as offered.
    pub placeholder: String,
    /// The nodes to `Replace` (URI, value), in order, in one `Replace`.
    pub nodes: Vec<(String, NodeValue)>,
}

impl DiscoveryTarget {
    /// A target: the placeholder and the nodes to set.
    #[must_use]
    pub fn new(placeholder: impl Into<String>, nodes: Vec<(String, NodeValue)>) -> Self {
        Self {
            placeholder: placeholder.into(),
            nodes,
        }
    }
}

/// What discovery found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiscoveryAnswer {
    /// The node's value: `Some(true)`/`Some(false)` when the device answered a `bool` (or
    /// Format-less) `true`/`false`; `None` when the node is absent or holds anything else.
    pub supported: Option<bool>,
    /// The status of the `Get` of [`NODE_PATH`] (404 when the device does not know the node).
    pub status: Option<StatusCode>,
    /// Whether the placeholder answered 200 (`None` without a target).
    pub placeholder: Option<bool>,
    /// The ticket of the `Replace` queued to enable the feature, if one was.
    pub enabling: Option<Ticket>,
}

/// `Some(bool)` for a `bool` (or Format-less) node holding `true`/`false` (ASCII
/// case-insensitive, trimmed).
pub(crate) fn parse(node: &Node) -> Option<bool> {
    let boolean = node.format.as_deref().is_none_or(|f| f == "bool");
    let value = node.data.as_deref().filter(|_| boolean)?.trim();
    ["false", "true"]
        .iter()
        .position(|b| value.eq_ignore_ascii_case(b))
        .map(|i| i == 1)
}

/// The job's state on the server.
pub(crate) struct Job {
    pub(crate) node: Ticket,
    pub(crate) placeholder: Option<Ticket>,
    pub(crate) target: Option<DiscoveryTarget>,
    pub(crate) supported: Option<bool>,
    pub(crate) status: Option<StatusCode>,
    pub(crate) placeholder_status: Option<StatusCode>,
}

impl Job {
    /// Whether every answer the job waits for has come.
    pub(crate) fn answered(&self) -> bool {
        self.status.is_some() && (self.placeholder.is_none() || self.placeholder_status.is_some())
    }
}

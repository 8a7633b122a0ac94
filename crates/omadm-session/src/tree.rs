//! The management tree a client session answers from: the `Tree` trait the caller implements
//! (or `MemoryTree`, a simple in-memory tree), with DM status codes as errors.

use std::collections::BTreeMap;

use omadm_syncml::{AlertCode, StatusCode};

/// A leaf's or interior node's value, as a `Get` returns it and a `Replace`/`Add` gives it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NodeValue {
    /// `Meta/Format` (`chr`, `int`, `bool`, `b64`, `node`, ...).
    pub format: String,
    /// `Meta/Type` (a MIME type), if any.
    pub ty: Option<String>,
    /// `Item/Data`; for an interior node, its children's names separated by `/`.
    pub data: String,
}

impl NodeValue {
    /// A leaf of `format` holding `data`.
    #[must_use]
    pub fn leaf(format: impl Into<String>, data: impl Into<String>) -> Self {
        Self {
            format: format.into(),
            ty: None,
            data: data.into(),
        }
    }

    /// A `chr` leaf.
    #[must_use]
    pub fn chr(data: impl Into<String>) -> Self {
        Self::leaf("chr", data)
    }

    /// An interior node (Format `node`, no data).
    #[must_use]
    pub fn interior() -> Self {
        Self::leaf("node", "")
    }

    /// Whether this is an interior node.
    #[must_use]
    pub fn is_interior(&self) -> bool {
        self.format == "node"
    }
}

/// The device's management tree, as a [`ClientSession`](crate::ClientSession) uses it to answer
/// the server's commands. Each method returns the DM status code of a failure (404 not found,
/// 405 not allowed, 418 already exists, 425 permission denied, 500 failed, ...); success is
/// Status 200. URIs arrive as the server sent them (`./DevDetail/SwV`).
pub trait Tree {
    /// `Get`: the node's value.
    ///
    /// # Errors
    /// The status code to answer with.
    fn get(&mut self, uri: &str) -> Result<NodeValue, StatusCode>;

    /// `Replace`: sets an existing node's value.
    ///
    /// # Errors
    /// The status code to answer with.
    fn replace(&mut self, uri: &str, value: NodeValue) -> Result<(), StatusCode>;

    /// `Add`: creates a node.
    ///
    /// # Errors
    /// The status code to answer with.
    fn add(&mut self, uri: &str, value: NodeValue) -> Result<(), StatusCode>;

    /// `Delete`: removes a node and everything under it.
    ///
    /// # Errors
    /// The status code to answer with.
    fn delete(&mut self, uri: &str) -> Result<(), StatusCode>;

    /// `Exec`: runs the executable node with the item's data.
    ///
    /// # Errors
    /// The status code to answer with.
    fn exec(&mut self, uri: &str, data: Option<&str>) -> Result<(), StatusCode>;

    /// A server `Alert` 1100 to 1104 (user interaction). The default displays nothing and
    /// confirms: 200 for DISPLAY and CONFIRM OR REJECT; 406 (optional feature not supported)
    /// for the alerts that need user input.
    fn alert(&mut self, code: AlertCode, texts: &[&str]) -> StatusCode {
        let _ = texts;
        match code {
            AlertCode::DISPLAY | AlertCode::CONFIRM_OR_REJECT => StatusCode::OK,
            _ => status(406),
        }
    }

    /// Starts an `Atomic`: returns whether the tree can roll back what follows. The default
    /// cannot, and the session then refuses the `Atomic` (507) without running it.
    fn begin_atomic(&mut self) -> bool {
        false
    }

    /// Ends an `Atomic`: keeps (`commit`) or undoes everything since
    /// [`begin_atomic`](Self::begin_atomic).
    fn end_atomic(&mut self, commit: bool) {
        let _ = commit;
    }
}

/// A management tree in memory: a map from normalised URI (`./A/B`) to value, interior nodes
/// explicit, with `Exec` calls recorded. `Atomic` is supported (a snapshot is kept).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryTree {
    nodes: BTreeMap<String, NodeValue>,
    executed: Vec<(String, Option<String>)>,
    snapshot: Option<BTreeMap<String, NodeValue>>,
}

impl MemoryTree {
    /// An empty tree (only the root `.`).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a node, creating its missing ancestors as interior nodes (the device's own
    /// provisioning, not a DM command).
    pub fn set(&mut self, uri: &str, value: NodeValue) {
        let uri = normalise(uri);
        let mut at = 2;
        while let Some(slash) = uri.get(at..).and_then(|r| r.find('/')) {
            let parent = &uri[..at + slash];
            self.nodes
                .entry(parent.to_owned())
                .or_insert_with(NodeValue::interior);
            at += slash + 1;
        }
        self.nodes.insert(uri, value);
    }

    /// A node's value, if it exists.
    #[must_use]
    pub fn value(&self, uri: &str) -> Option<&NodeValue> {
        self.nodes.get(&normalise(uri))
    }

    /// The `Exec` calls made, in order: (URI, data).
    #[must_use]
    pub fn executed(&self) -> &[(String, Option<String>)] {
        &self.executed
    }

    fn children(&self, uri: &str) -> String {
        let prefix = format!("{uri}/");
        let mut names = Vec::new();
        for key in self.nodes.range(prefix.clone()..) {
            let Some(rest) = key.0.strip_prefix(&prefix) else {
                break;
            };
            if !rest.contains('/') {
                names.push(rest);
            }
        }
        names.join("/")
    }

    fn parent_exists(&self, uri: &str) -> bool {
        match uri.rfind('/') {
            Some(i) if i > 1 => self
                .nodes
                .get(&uri[..i])
                .is_some_and(NodeValue::is_interior),
            _ => true,
        }
    }
}

impl Tree for MemoryTree {
    fn get(&mut self, uri: &str) -> Result<NodeValue, StatusCode> {
        let uri = normalise(uri);
        let node = self.nodes.get(&uri).ok_or(status(404))?;
        if node.is_interior() {
            Ok(NodeValue {
                data: self.children(&uri),
                ..node.clone()
            })
        } else {
            Ok(node.clone())
        }
    }

    fn replace(&mut self, uri: &str, value: NodeValue) -> Result<(), StatusCode> {
        let node = self.nodes.get_mut(&normalise(uri)).ok_or(status(404))?;
        if node.is_interior() != value.is_interior() {
            return Err(status(405));
        }
        *node = value;
        Ok(())
    }

    fn add(&mut self, uri: &str, value: NodeValue) -> Result<(), StatusCode> {
        let uri = normalise(uri);
        if self.nodes.contains_key(&uri) {
            return Err(status(418));
        }
        if !self.parent_exists(&uri) {
            return Err(status(404));
        }
        self.nodes.insert(uri, value);
        Ok(())
    }

    fn delete(&mut self, uri: &str) -> Result<(), StatusCode> {
        let uri = normalise(uri);
        if self.nodes.remove(&uri).is_none() {
            return Err(status(404));
        }
        let prefix = format!("{uri}/");
        self.nodes.retain(|k, _| !k.starts_with(&prefix));
        Ok(())
    }

    fn exec(&mut self, uri: &str, data: Option<&str>) -> Result<(), StatusCode> {
        let uri = normalise(uri);
        if !self.nodes.contains_key(&uri) {
            return Err(status(404));
        }
        self.executed.push((uri, data.map(str::to_owned)));
        Ok(())
    }

    fn begin_atomic(&mut self) -> bool {
        self.snapshot = Some(self.nodes.clone());
        true
    }

    fn end_atomic(&mut self, commit: bool) {
        if let Some(saved) = self.snapshot.take()
            && !commit
        {
            self.nodes = saved;
        }
    }
}

/// `./A/B` for `A/B`, `./A/B/` and `./A/B`; `.` stays `.`.
fn normalise(uri: &str) -> String {
    let uri = uri.trim().trim_end_matches('/');
    if uri == "." || uri.starts_with("./") {
        uri.to_owned()
    } else {
        format!("./{uri}")
    }
}

/// A status code known to be in range.
pub(crate) const fn status(code: u16) -> StatusCode {
    match StatusCode::new(code) {
        Ok(c) => c,
        // invariant: every caller passes a literal in 100..=999.
        Err(_) => StatusCode::COMMAND_FAILED,
    }
}

//! A store that keeps the anti-replay state in memory and drops the reports: the `--store none`
//! setting that measures the server without its database.

use std::collections::HashMap;

use super::{AcceptedMessage, ReportStore, StoreError, StoreTx};

/// Reports go nowhere; anti-replay still works (in memory, lost at exit).
#[derive(Debug, Default)]
pub(crate) struct NullStore {
    replay: HashMap<String, Vec<u8>>,
}

impl ReportStore for NullStore {
    fn begin(&mut self) -> Result<Box<dyn StoreTx + '_>, StoreError> {
        Ok(Box::new(NullTx {
            replay: &mut self.replay,
            pending: HashMap::new(),
        }))
    }
}

struct NullTx<'a> {
    replay: &'a mut HashMap<String, Vec<u8>>,
    pending: HashMap<String, Vec<u8>>,
}

impl StoreTx for NullTx<'_> {
    fn replay_state(&mut self, username: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .pending
            .get(username)
            .or_else(|| self.replay.get(username))
            .cloned())
    }

    fn save_replay_state(&mut self, username: &str, state: &[u8]) -> Result<(), StoreError> {
        self.pending.insert(username.to_owned(), state.to_vec());
        Ok(())
    }

    fn insert(&mut self, _received_ms: i64, _message: &AcceptedMessage) -> Result<(), StoreError> {
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let Self { replay, pending } = *self;
        replay.extend(pending);
        Ok(())
    }
}

//! Reading what the server answered the same way everywhere: a unique index refusing a write,
//! and a count in a reply. The store crate uses these too, so there is one copy in the workspace.

use bson::Bson;
use mongodb::error::{ErrorKind, WriteFailure};

/// A count in a server reply (`count`, `$sum`, `$count`): servers answer with a 32- or 64-bit
/// integer or a double depending on the size and the server, so every reader takes all three.
/// `None` for anything else or a negative number.
pub fn reply_count(value: Option<&Bson>) -> Option<u64> {
    match value? {
        Bson::Int32(n) => u64::try_from(*n).ok(),
        Bson::Int64(n) => u64::try_from(*n).ok(),
        Bson::Double(n) if *n >= 0.0 => Some(*n as u64),
        _ => None,
    }
}

/// Whether a driver error is a unique index refusing the write (code 11000), read from the error
/// code wherever the driver puts it; for `insert_many`, only when every failed document was a
/// duplicate.
pub fn is_duplicate_key(e: &mongodb::error::Error) -> bool {
    const DUPLICATE_KEY: i32 = 11000;
    match &*e.kind {
        ErrorKind::Write(WriteFailure::WriteError(w)) => w.code == DUPLICATE_KEY,
        ErrorKind::InsertMany(many) => many
            .write_errors
            .as_ref()
            .is_some_and(|errs| !errs.is_empty() && errs.iter().all(|w| w.code == DUPLICATE_KEY)),
        ErrorKind::Command(c) => c.code == DUPLICATE_KEY,
        _ => false,
    }
}

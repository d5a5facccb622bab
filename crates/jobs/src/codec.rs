//! The wire format of job payloads and results: BSON, so they stay queryable in the database.

use apalis_core::backend::codec::Codec;
use bson::Bson;
use serde::{de::DeserializeOwned, Serialize};

/// Encodes any serde value as BSON and back. Arguments are stored as BSON (not bytes) so the
/// operator API can show them and queries can reach into them.
#[derive(Debug, Clone, Copy, Default)]
pub struct BsonCodec;

/// Why a value could not be converted.
#[derive(Debug, thiserror::Error)]
pub enum BsonCodecError {
    /// Encoding to BSON failed.
    #[error("could not encode to BSON: {0}")]
    Encode(#[from] bson::ser::Error),
    /// Decoding from BSON failed.
    #[error("could not decode from BSON: {0}")]
    Decode(#[from] bson::de::Error),
}

impl<T: Serialize + DeserializeOwned> Codec<T> for BsonCodec {
    type Error = BsonCodecError;
    type Compact = Bson;

    fn encode(&self, val: &T) -> Result<Bson, BsonCodecError> {
        Ok(bson::to_bson(val)?)
    }

    fn decode(&self, val: &Bson) -> Result<T, BsonCodecError> {
        Ok(bson::from_bson(val.clone())?)
    }
}

//! Serializing hash maps in key order, so that the same content always gives the same
//! bytes (saved indexes are then reproducible and comparable by checksum).

use std::collections::{BTreeMap, HashMap};

use serde::{Serialize, Serializer};

/// `serialize_with` for a `HashMap`: writes its entries sorted by key.
pub(crate) fn serialize<S, K, V, H>(
    map: &HashMap<K, V, H>,
    serializer: S,
) -> Result<S::Ok, S::Error>
where
    S: Serializer,
    K: Ord + Serialize,
    V: Serialize,
{
    let sorted: BTreeMap<&K, &V> = map.iter().collect();
    sorted.serialize(serializer)
}

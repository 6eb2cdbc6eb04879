//! Reading many items by their keys at once (`BatchGetItem`), for paths that would otherwise
//! make one `GetItem` per item.

use super::table::{Item, Keys, Store, StoreError};
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

impl Store {
    /// Reads the items with `keys` (consistent reads) in `BatchGetItem` requests of up to 100
    /// keys, asking again, a few times, for any the service left unprocessed; the items found,
    /// by `(pk, sk)`. `Aws` when some stay unprocessed.
    pub(crate) async fn get_many(
        &self,
        keys: &[Keys],
    ) -> Result<HashMap<(String, String), Item>, StoreError> {
        use aws_sdk_dynamodb::types::KeysAndAttributes;
        let mut found = HashMap::new();
        for chunk in keys.chunks(100) {
            let mut wanted = KeysAndAttributes::builder()
                .set_keys(Some(chunk.iter().map(Keys::key).collect()))
                .consistent_read(true)
                .build()
                .map_err(|e| StoreError::Codec(e.to_string()))?;
            for round in 0..5u32 {
                if round > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(20 << round)).await;
                }
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, wanted.clone())
                    .send()
                    .await?;
                for item in output
                    .responses
                    .into_iter()
                    .flat_map(|mut r| r.remove(&self.table))
                    .flatten()
                {
                    let text = |name: &str| match item.get(name) {
                        Some(AttributeValue::S(s)) => s.clone(),
                        _ => String::new(),
                    };
                    found.insert((text("pk"), text("sk")), item);
                }
                match output
                    .unprocessed_keys
                    .and_then(|mut left| left.remove(&self.table))
                    .filter(|left| !left.keys().is_empty())
                {
                    Some(left) => wanted = left,
                    None => break,
                }
                if round == 4 {
                    return Err(StoreError::Aws(
                        "BatchGetItem left keys unprocessed after 5 requests".into(),
                    ));
                }
            }
        }
        Ok(found)
    }
}

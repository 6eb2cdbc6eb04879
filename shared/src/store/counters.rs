//! Fixed-window counters: one item per (name, window), incremented atomically with `ADD`, so
//! concurrent requests on every container count against the same number in one write. Windows are
//! part of the key, so an old window is never read again; its item carries an expiry for TTL
//! housekeeping only (the local emulator never deletes it, and nothing depends on that).

use super::keys;
use super::table::{Keys, Store, StoreError};
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

/// A fixed window of time: `length_secs` long, numbered from the epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Its number (unix time / length).
    pub number: i64,
    /// Its length in seconds.
    pub length_secs: i64,
}

impl Window {
    /// The window of `length_secs` containing unix time `now`.
    pub fn containing(now: i64, length_secs: i64) -> Self {
        Self {
            number: now.div_euclid(length_secs),
            length_secs,
        }
    }

    /// Seconds from `now` until the next window starts (at least 1).
    pub fn seconds_left(&self, now: i64) -> u64 {
        u64::try_from((self.number + 1) * self.length_secs - now)
            .unwrap_or(1)
            .max(1)
    }

    fn expires_at(&self) -> i64 {
        (self.number + 2) * self.length_secs
    }
}

/// The count `n` of a counter item (0 when there is none).
fn count_in(item: Option<&std::collections::HashMap<String, AttributeValue>>) -> u64 {
    item.and_then(|a| a.get("n"))
        .and_then(|n| n.as_n().ok())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn counter_keys(name: &str, window: Window) -> Keys {
    Keys::new(keys::counter(name, window.number), "COUNTER")
}

/// Sends a conditional increment: the new count, or `None` when its condition refused it.
async fn count_if(request: UpdateItemFluentBuilder) -> Result<Option<u64>, StoreError> {
    match request.send().await.map_err(StoreError::from) {
        Ok(output) => Ok(Some(count_in(output.attributes()))),
        Err(StoreError::Conflict) => Ok(None),
        Err(other) => Err(other),
    }
}

impl Store {
    /// The write every count makes: one more in `window`, its expiry set, the new values
    /// returned; `add` and `set` extend the expression's `ADD` and `SET` clauses.
    fn increment(
        &self,
        name: &str,
        window: Window,
        add: &str,
        set: &str,
    ) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(counter_keys(name, window).key()))
            .update_expression(format!("ADD n :one{add} SET expires_at = :expires{set}"))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(
                ":expires",
                AttributeValue::N(window.expires_at().to_string()),
            )
            .return_values(ReturnValue::UpdatedNew)
    }

    /// Adds one to counter `name` in `window` and answers the new count.
    pub async fn count(&self, name: &str, window: Window) -> Result<u64, StoreError> {
        let output = self.increment(name, window, "", "").send().await?;
        Ok(count_in(output.attributes()))
    }

    /// Adds one to counter `name` and to its part `part` in `window`, in one write, unless the
    /// part has reached `part_limit` (then nothing is counted and the answer is `None`); answers
    /// the whole's new count. E.g. a tenant's webhooks and one integration's: an
    /// integration over its own limit does not use up its tenant's.
    pub async fn count_with_part(
        &self,
        name: &str,
        part: &str,
        part_limit: u64,
        window: Window,
    ) -> Result<Option<u64>, StoreError> {
        let request = self
            .increment(name, window, ", #part :one", "")
            .condition_expression("attribute_not_exists(#part) OR #part < :limit")
            .expression_attribute_names("#part", format!("n_{part}"))
            .expression_attribute_values(":limit", AttributeValue::N(part_limit.to_string()));
        count_if(request).await
    }

    /// Adds one to counter `name` in `window` unless something was counted in this same second
    /// already (then nothing is counted and the answer is `None`); answers the new count. One
    /// write paces a sender to one a second and counts its minute (flood protection).
    pub async fn count_paced(
        &self,
        name: &str,
        window: Window,
        now: i64,
    ) -> Result<Option<u64>, StoreError> {
        let request = self
            .increment(name, window, "", ", last_second = :now")
            .condition_expression("attribute_not_exists(last_second) OR last_second < :now")
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()));
        count_if(request).await
    }

    /// Counter `name` in `window`, without counting (0 when nothing was counted).
    pub async fn counted(&self, name: &str, window: Window) -> Result<u64, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(counter_keys(name, window).key()))
            .consistent_read(true)
            .send()
            .await?;
        Ok(count_in(output.item()))
    }

    /// Sets counter `name` in `window` back to nothing.
    pub async fn reset_count(&self, name: &str, window: Window) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(counter_keys(name, window).key()))
            .send()
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_number_from_the_epoch_and_say_how_long_is_left() {
        let window = Window::containing(1_800_000_123, 900);
        assert_eq!(window.number, 2_000_000);
        assert_eq!(window.seconds_left(1_800_000_123), 777);
        assert_eq!(window.seconds_left(1_800_000_899), 1);
        assert_eq!(Window::containing(-1, 60).number, -1);
    }
}

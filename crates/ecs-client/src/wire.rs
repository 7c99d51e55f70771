//! Serde helpers for ECS's two JSON quirks: lists wrapped in a singular-named object
//! (`"Snapshots": {"Snapshot": [...]}`) and lists carried as a JSON array inside a string
//! (`"TimePoints": "[\"1\",\"3\"]"`).

/// Declares a serde `with` module for a list ECS wraps as `{ "<inner>": [ ... ] }`.
///
/// A missing, `null` or inner-less wrapper reads as an empty list, since ECS omits empty ones
/// inconsistently; serialising always writes the wrapper, which is the wire form ECS sends.
macro_rules! wrapped_list {
    ($module:ident, $inner:literal, $item:ty) => {
        pub(crate) mod $module {
            #[allow(unused_imports)]
            use super::*;

            #[derive(serde::Deserialize)]
            struct Owned {
                #[serde(rename = $inner, default)]
                items: Vec<$item>,
            }

            #[derive(serde::Serialize)]
            struct Borrowed<'a> {
                #[serde(rename = $inner)]
                items: &'a [$item],
            }

            pub(crate) fn serialize<S>(items: &[$item], serializer: S) -> Result<S::Ok, S::Error>
            where
                S: serde::Serializer,
            {
                serde::Serialize::serialize(&Borrowed { items }, serializer)
            }

            pub(crate) fn deserialize<'de, D>(deserializer: D) -> Result<Vec<$item>, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                let wrapper: Option<Owned> = serde::Deserialize::deserialize(deserializer)?;
                Ok(wrapper.map(|w| w.items).unwrap_or_default())
            }
        }
    };
}
pub(crate) use wrapped_list;

/// A list of values carried as a JSON array inside a string, e.g. `"[\"1\",\"3\"]"`.
///
/// Elements may be JSON strings or numbers; an empty string reads as an empty list.
pub(crate) mod json_string_list {
    use std::fmt::Display;
    use std::str::FromStr;

    use serde::de::Error as _;

    pub(crate) fn serialize<S, T>(items: &[T], serializer: S) -> Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
        T: Display,
    {
        serializer.serialize_str(&crate::actions::json_array(items))
    }

    pub(crate) fn deserialize<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
    where
        D: serde::Deserializer<'de>,
        T: FromStr,
        T::Err: Display,
    {
        let text: Option<String> = serde::Deserialize::deserialize(deserializer)?;
        let text = text.unwrap_or_default();
        if text.trim().is_empty() {
            return Ok(Vec::new());
        }

        let values: Vec<serde_json::Value> = serde_json::from_str(&text)
            .map_err(|e| D::Error::custom(format!("{text:?} is not a JSON array: {e}")))?;
        values
            .iter()
            .map(|value| {
                let item = match value {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                item.parse()
                    .map_err(|e| D::Error::custom(format!("list item {item:?}: {e}")))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    pub(crate) struct Item {
        #[serde(rename = "Id")]
        pub(crate) id: String,
    }

    wrapped_list!(items, "Item", Item);

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Holder {
        #[serde(rename = "Items", default, with = "items")]
        items: Vec<Item>,
        #[serde(rename = "Hours", default, with = "super::json_string_list")]
        hours: Vec<u8>,
    }

    #[test]
    fn wrapped_list_round_trips() {
        let json = r#"{"Items":{"Item":[{"Id":"a"}]},"Hours":"[\"1\",\"23\"]"}"#;
        let holder: Holder = serde_json::from_str(json).unwrap();
        assert_eq!(holder.items, [Item { id: "a".into() }]);
        assert_eq!(holder.hours, [1, 23]);
        assert_eq!(serde_json::to_string(&holder).unwrap(), json);
    }

    #[test]
    fn tolerates_missing_and_null_wrappers_and_numeric_items() {
        let holder: Holder = serde_json::from_str(r#"{"Items":null,"Hours":"[2,3]"}"#).unwrap();
        assert!(holder.items.is_empty());
        assert_eq!(holder.hours, [2, 3]);

        let holder: Holder = serde_json::from_str(r#"{"Items":{},"Hours":""}"#).unwrap();
        assert!(holder.items.is_empty() && holder.hours.is_empty());
    }

    #[test]
    fn rejects_bad_list_items_with_context() {
        let err = serde_json::from_str::<Holder>(r#"{"Hours":"[\"x\"]"}"#).unwrap_err();
        assert!(err.to_string().contains("\"x\""), "{err}");
    }
}

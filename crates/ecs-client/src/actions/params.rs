//! Building an action's parameter list in ECS's two list conventions.

use std::fmt::Display;

use super::common::{Tag, TagFilter};

/// An ordered list of `(name, value)` parameters; order is irrelevant to ECS and to signing,
/// but keeping insertion order makes tests and logs readable.
#[derive(Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn put(&mut self, name: &str, value: impl Display) -> &mut Self {
        self.0.push((name.to_owned(), value.to_string()));
        self
    }

    pub(crate) fn opt(&mut self, name: &str, value: Option<impl Display>) -> &mut Self {
        if let Some(value) = value {
            self.put(name, value);
        }
        self
    }

    /// A list sent as one JSON-array string, e.g. `["d-1","d-2"]`; omitted when empty.
    pub(crate) fn json_list<T: Display>(&mut self, name: &str, items: &[T]) -> &mut Self {
        if !items.is_empty() {
            self.put(name, json_array(items));
        }
        self
    }

    /// A list flattened as `Name.1`, `Name.2`, ...
    pub(crate) fn indexed<T: Display>(&mut self, name: &str, items: &[T]) -> &mut Self {
        for (i, item) in items.iter().enumerate() {
            self.put(&format!("{name}.{}", i + 1), item);
        }
        self
    }

    /// Tags flattened as `Prefix.N.Key` / `Prefix.N.Value`; the value is always sent, even
    /// empty, because ECS distinguishes an empty value from an absent one.
    pub(crate) fn tags(&mut self, prefix: &str, tags: &[Tag]) -> &mut Self {
        for (i, tag) in tags.iter().enumerate() {
            self.put(&format!("{prefix}.{}.Key", i + 1), &tag.key);
            self.put(&format!("{prefix}.{}.Value", i + 1), &tag.value);
        }
        self
    }

    /// Tag filters: a filter without a value matches any value, so `Value` is left out.
    pub(crate) fn tag_filters(&mut self, prefix: &str, filters: &[TagFilter]) -> &mut Self {
        for (i, filter) in filters.iter().enumerate() {
            self.put(&format!("{prefix}.{}.Key", i + 1), &filter.key);
            self.opt(&format!("{prefix}.{}.Value", i + 1), filter.value.as_ref());
        }
        self
    }

    pub(crate) fn finish(&mut self) -> Vec<(String, String)> {
        std::mem::take(&mut self.0)
    }
}

/// Renders items as a JSON array of strings, the form ECS expects inside one parameter.
pub(crate) fn json_array<T: Display>(items: &[T]) -> String {
    let strings: Vec<String> = items.iter().map(ToString::to_string).collect();
    serde_json::Value::from(strings).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_array_matches_ecs_form() {
        assert_eq!(json_array(&[1, 3, 5]), r#"["1","3","5"]"#);
        assert_eq!(json_array(&["d-1", "a\"b"]), r#"["d-1","a\"b"]"#);
    }

    #[test]
    fn lists_flatten_one_based() {
        let tags = [Tag::new("k", ""), Tag::new("k2", "v2")];
        let params = Params::new()
            .indexed("DiskId", &["d-1", "d-2"])
            .tags("Tag", &tags)
            .finish();
        let names: Vec<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "DiskId.1",
                "DiskId.2",
                "Tag.1.Key",
                "Tag.1.Value",
                "Tag.2.Key",
                "Tag.2.Value"
            ]
        );
        assert_eq!(params[3].1, "");
    }
}

//! Kubernetes JSONPath, the dialect of CRD `additionalPrinterColumns`, evaluated by
//! serde_json_path (RFC 9535) after a syntax translation.
//!
//! The two dialects differ in spelling more than in meaning. Kubernetes paths start at `.`
//! (or `$`), may be wrapped in `{}`, and a field name runs until `.`, `[`, `]`, `{`, `}`, `,`,
//! `$`, `@` or a space (`\` escapes one character). A filter is `[?(LEFT OP RIGHT)]` or
//! `[?(PATH)]`, where `@`, `$` and a leading `.` all mean the element under test. Each
//! `.name` becomes `["name"]`, filter operands are rewritten the same way, and other brackets
//! (indexes, slices, `*`, unions) keep their spelling, which both dialects share.

use serde_json::Value;
use serde_json_path::JsonPath;

/// A compiled printer-column path.
#[derive(Debug)]
pub struct KubePath(JsonPath);

impl KubePath {
    /// Compiles a Kubernetes JSONPath such as `.status.conditions[?(@.type=="Ready")].status`.
    /// The error names what was wrong, for a 422 cause.
    pub fn parse(path: &str) -> Result<Self, String> {
        let rfc = translate(path)?;
        JsonPath::parse(&rfc)
            .map(KubePath)
            .map_err(|e| format!("invalid JSONPath {path:?}: {e}"))
    }

    /// The first value the path selects, which is what kube-apiserver puts in a table cell.
    pub fn first<'a>(&self, value: &'a Value) -> Option<&'a Value> {
        self.0.query(value).first()
    }
}

fn translate(path: &str) -> Result<String, String> {
    let trimmed = path.trim();
    let inner = match trimmed.strip_prefix('{') {
        Some(rest) => rest
            .strip_suffix('}')
            .ok_or_else(|| format!("unclosed '{{' in JSONPath {path:?}"))?,
        None => trimmed,
    };
    let chars: Vec<char> = inner.trim().chars().collect();
    let mut cursor = Cursor { chars, at: 0 };
    if cursor.peek() == Some('$') {
        cursor.at += 1;
    }
    let mut out = String::from("$");
    cursor.segments(&mut out)?;
    match cursor.peek() {
        None => Ok(out),
        Some(c) => Err(format!(
            "unexpected {c:?} at position {} of JSONPath {path:?}",
            cursor.at
        )),
    }
}

struct Cursor {
    chars: Vec<char>,
    at: usize,
}

impl Cursor {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.at + offset).copied()
    }

    /// Translates `.name`, `..name`, `.*` and `[...]` segments until something else comes.
    fn segments(&mut self, out: &mut String) -> Result<(), String> {
        loop {
            match (self.peek(), self.peek_at(1)) {
                (Some('.'), Some('.')) => {
                    self.at += 2;
                    out.push_str("..");
                    self.after_dot(out, true)?;
                }
                (Some('.'), _) => {
                    self.at += 1;
                    self.after_dot(out, false)?;
                }
                (Some('['), _) => self.bracket(out)?,
                _ => return Ok(()),
            }
        }
    }

    fn after_dot(&mut self, out: &mut String, descendant: bool) -> Result<(), String> {
        match self.peek() {
            Some('*') => {
                self.at += 1;
                out.push_str("[*]");
            }
            Some('[') if descendant => {}
            _ => {
                let name = self.field_name();
                if !name.is_empty() {
                    out.push('[');
                    out.push_str(&Value::String(name).to_string());
                    out.push(']');
                } else if descendant {
                    return Err(format!("'..' needs a field name at position {}", self.at));
                }
            }
        }
        Ok(())
    }

    fn field_name(&mut self) -> String {
        let mut name = String::new();
        while let Some(c) = self.peek() {
            if c == '\\'
                && let Some(escaped) = self.peek_at(1)
            {
                name.push(escaped);
                self.at += 2;
                continue;
            }
            if ends_field(c) {
                break;
            }
            name.push(c);
            self.at += 1;
        }
        name
    }

    /// `[?(...)]` filters are translated; other brackets are copied, quotes respected.
    fn bracket(&mut self, out: &mut String) -> Result<(), String> {
        if self.peek_at(1) == Some('?') && self.peek_at(2) == Some('(') {
            return self.filter(out);
        }
        let start = self.at;
        let mut quote = None;
        while let Some(c) = self.peek() {
            self.at += 1;
            out.push(c);
            match (quote, c) {
                (Some(q), c) if c == q && self.chars[self.at - 2] != '\\' => quote = None,
                (None, '\'' | '"') => quote = Some(c),
                (None, ']') => return Ok(()),
                _ => {}
            }
        }
        Err(format!("unclosed '[' at position {start}"))
    }

    /// Kubernetes filters hold one comparison (or one path tested for existence) and end at
    /// the first `)` outside quotes that is followed by `]`.
    fn filter(&mut self, out: &mut String) -> Result<(), String> {
        let start = self.at;
        self.at += 3;
        let body_start = self.at;
        let mut quote = None;
        loop {
            let c = self
                .peek()
                .ok_or_else(|| format!("unterminated filter at position {start}"))?;
            match (quote, c) {
                (Some(q), c) if c == q && self.chars[self.at - 1] != '\\' => quote = None,
                (None, '\'' | '"') => quote = Some(c),
                (None, ')') if self.peek_at(1) == Some(']') => break,
                _ => {}
            }
            self.at += 1;
        }
        let body: String = self.chars[body_start..self.at].iter().collect();
        self.at += 2;
        out.push_str("[?");
        out.push_str(&filter_expression(&body)?);
        out.push(']');
        Ok(())
    }
}

fn ends_field(c: char) -> bool {
    c.is_whitespace() || matches!(c, '.' | ',' | '[' | ']' | '$' | '@' | '{' | '}' | ')')
}

/// `LEFT OP RIGHT` splits at the first run of `!<>=` outside quotes, as Kubernetes does.
fn filter_expression(body: &str) -> Result<String, String> {
    let chars: Vec<char> = body.chars().collect();
    let mut quote = None;
    let mut op_start = None;
    for (i, &c) in chars.iter().enumerate() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, '!' | '<' | '>' | '=') => {
                op_start = Some(i);
                break;
            }
            _ => {}
        }
    }
    let Some(op_start) = op_start else {
        return operand(body);
    };
    let op_end = (op_start..chars.len())
        .find(|&i| !matches!(chars[i], '!' | '<' | '>' | '='))
        .unwrap_or(chars.len());
    let op: String = chars[op_start..op_end].iter().collect();
    if !matches!(op.as_str(), "==" | "!=" | "<" | ">" | "<=" | ">=") {
        return Err(format!("unsupported filter operator {op:?} in {body:?}"));
    }
    let left: String = chars[..op_start].iter().collect();
    let right: String = chars[op_end..].iter().collect();
    Ok(format!("({} {op} {})", operand(&left)?, operand(&right)?))
}

/// A path relative to the element under test, or a literal (string, number, boolean).
fn operand(text: &str) -> Result<String, String> {
    let text = text.trim();
    let relative = text
        .strip_prefix('@')
        .or_else(|| text.strip_prefix('$'))
        .or_else(|| text.starts_with('.').then_some(text));
    let Some(rest) = relative else {
        return literal(text);
    };
    let mut cursor = Cursor {
        chars: rest.chars().collect(),
        at: 0,
    };
    let mut out = String::from("@");
    cursor.segments(&mut out)?;
    match cursor.peek() {
        None => Ok(out),
        Some(c) => Err(format!("unexpected {c:?} in filter operand {text:?}")),
    }
}

fn literal(text: &str) -> Result<String, String> {
    let quoted = ['\'', '"']
        .iter()
        .any(|&q| text.len() >= 2 && text.starts_with(q) && text.ends_with(q));
    let number = text.parse::<f64>().is_ok();
    if quoted || number || text == "true" || text == "false" {
        return Ok(text.to_string());
    }
    Err(format!("unrecognized filter operand {text:?}"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn first(path: &str, value: &Value) -> Option<Value> {
        KubePath::parse(path).unwrap().first(value).cloned()
    }

    #[test]
    fn translates_fields_escapes_and_filters() {
        assert_eq!(translate(".a.b[0]").unwrap(), r#"$["a"]["b"][0]"#);
        assert_eq!(
            translate(r"{.metadata.labels.a\.b/c-d}").unwrap(),
            r#"$["metadata"]["labels"]["a.b/c-d"]"#
        );
        assert_eq!(
            translate(r#".c[?(@.type=="Ready")].status"#).unwrap(),
            r#"$["c"][?(@["type"] == "Ready")]["status"]"#
        );
        assert_eq!(translate("..name").unwrap(), r#"$..["name"]"#);
        assert_eq!(translate(".items[*]").unwrap(), r#"$["items"][*]"#);
    }

    #[test]
    fn filters_select_the_matching_condition() {
        let obj = json!({"status": {"conditions": [
            {"type": "Synced", "status": "False"},
            {"type": "Ready", "status": "True", "n": 3},
        ]}});
        let ready = r#".status.conditions[?(@.type=="Ready")].status"#;
        assert_eq!(first(ready, &obj), Some(json!("True")));
        let single = ".status.conditions[?(@.type == 'Synced')].status";
        assert_eq!(first(single, &obj), Some(json!("False")));
        assert_eq!(
            first(".status.conditions[?(@.n>2)].type", &obj),
            Some(json!("Ready"))
        );
        assert_eq!(
            first(".status.conditions[?(@.n)].type", &obj),
            Some(json!("Ready"))
        );
        let none = r#".status.conditions[?(@.type=="Gone")].status"#;
        assert_eq!(first(none, &obj), None);
        assert_eq!(
            first(".status.conditions[-1].type", &obj),
            Some(json!("Ready"))
        );
        assert_eq!(first(".spec.missing", &obj), None);
    }

    #[test]
    fn bad_paths_name_the_problem() {
        assert!(
            KubePath::parse(".a[?(@.b=~'x')]")
                .unwrap_err()
                .contains("operator")
        );
        assert!(KubePath::parse(".a[0").unwrap_err().contains("unclosed"));
        assert!(
            KubePath::parse(".a[?(@.b==x)]")
                .unwrap_err()
                .contains("operand")
        );
        assert!(KubePath::parse("{.a").unwrap_err().contains("unclosed"));
    }
}

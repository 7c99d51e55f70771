//! The two pagination styles ECS uses: `PageNumber`/`PageSize` (older actions) and
//! `MaxResults`/`NextToken` (newer ones, which stay stable while items come and go because the
//! token is a cursor on the item key, not an offset).

use crate::api_error::ApiError;
use crate::params::Params;

/// How a caller asked for a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageRequest {
    Number {
        number: usize,
        size: usize,
    },
    Token {
        max_results: usize,
        after: Option<String>,
    },
}

/// Limits of one action's pagination.
pub struct PagingRules {
    pub default_size: usize,
    pub max_size: usize,
    /// DescribeDisks clamps out-of-range `MaxResults` instead of refusing it.
    pub clamp: bool,
}

/// One page of items plus what the response reports about it.
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: usize,
    pub next_token: String,
    pub page_number: usize,
    pub page_size: usize,
}

impl PageRequest {
    /// Reads `MaxResults`/`NextToken`, or the deprecated `PageNumber`/`PageSize` when only those
    /// are present; `token_style` is false for actions that only know page numbers.
    pub fn parse(
        params: &Params,
        rules: &PagingRules,
        token_style: bool,
    ) -> Result<Self, ApiError> {
        let uses_numbers = params.text("PageNumber").is_some() || params.text("PageSize").is_some();
        let uses_tokens = params.text("MaxResults").is_some() || params.text("NextToken").is_some();
        if !token_style || (uses_numbers && !uses_tokens) {
            let number = params.int("PageNumber", 1, i32::MAX as i64)?.unwrap_or(1) as usize;
            let size = params.int("PageSize", 1, rules.max_size as i64)?;
            return Ok(Self::Number {
                number,
                size: size.map_or(rules.default_size, |s| s as usize),
            });
        }

        let max_results = match params.int("MaxResults", i64::MIN, i64::MAX)? {
            None => rules.default_size,
            Some(n) if rules.clamp => {
                n.clamp(rules.default_size as i64, rules.max_size as i64) as usize
            }
            Some(n) if n < 1 || n as usize > rules.max_size => {
                let why = format_args!("must be between 1 and {}, got {n}.", rules.max_size);
                return Err(ApiError::invalid("MaxResults", why));
            }
            Some(n) => n as usize,
        };
        let after = params.text("NextToken").map(decode_token).transpose()?;
        Ok(Self::Token { max_results, after })
    }
}

/// Cuts one page from `items`, which must already be sorted by `key` in the listing's order
/// (`descending` says which).
pub fn paginate<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    descending: bool,
    request: &PageRequest,
) -> Page<T> {
    let total = items.len();
    match request {
        PageRequest::Number { number, size } => {
            let start = (number - 1).saturating_mul(*size);
            let items = items.into_iter().skip(start).take(*size).collect();
            Page {
                items,
                total,
                next_token: String::new(),
                page_number: *number,
                page_size: *size,
            }
        }
        PageRequest::Token { max_results, after } => {
            let past = |item: &T| match after {
                None => true,
                Some(cursor) if descending => key(item) < *cursor,
                Some(cursor) => key(item) > *cursor,
            };
            let mut rest: Vec<T> = items.into_iter().filter(|i| past(i)).collect();
            let more = rest.len() > *max_results;
            rest.truncate(*max_results);
            let next_token = match rest.last() {
                Some(last) if more => encode_token(&key(last)),
                _ => String::new(),
            };
            Page {
                items: rest,
                total,
                next_token,
                page_number: 1,
                page_size: *max_results,
            }
        }
    }
}

fn encode_token(key: &str) -> String {
    hex::encode(key.as_bytes())
}

fn decode_token(token: &str) -> Result<String, ApiError> {
    hex::decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| ApiError::invalid("NextToken", "is not a token this API returned."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_request(max: usize, after: Option<String>) -> PageRequest {
        PageRequest::Token {
            max_results: max,
            after,
        }
    }

    #[test]
    fn token_pages_cover_everything_once() {
        let items: Vec<String> = (1..=7).map(|i| format!("k{i}")).collect();
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = paginate(
                items.clone(),
                |s| s.clone(),
                false,
                &token_request(3, after),
            );
            seen.extend(page.items);
            if page.next_token.is_empty() {
                break;
            }
            after = Some(decode_token(&page.next_token).unwrap());
        }
        assert_eq!(seen, items);
    }

    #[test]
    fn cursor_survives_deleting_the_item_it_points_at() {
        let items: Vec<String> = ["e", "d", "c", "b", "a"].map(String::from).to_vec();
        let first = paginate(items.clone(), |s| s.clone(), true, &token_request(2, None));
        assert_eq!(first.items, ["e", "d"]);
        let remaining: Vec<String> = items.into_iter().filter(|s| s != "d").collect();
        let after = Some(decode_token(&first.next_token).unwrap());
        let second = paginate(remaining, |s| s.clone(), true, &token_request(2, after));
        assert_eq!(second.items, ["c", "b"]);
    }

    #[test]
    fn page_numbers_and_limits() {
        let params = Params::new([("PageNumber".to_owned(), "2".to_owned())]);
        let rules = PagingRules {
            default_size: 10,
            max_size: 100,
            clamp: false,
        };
        let request = PageRequest::parse(&params, &rules, true).unwrap();
        assert_eq!(
            request,
            PageRequest::Number {
                number: 2,
                size: 10
            }
        );
        let too_many = Params::new([("MaxResults".to_owned(), "101".to_owned())]);
        assert!(PageRequest::parse(&too_many, &rules, true).is_err());
        let clamped = PagingRules {
            default_size: 10,
            max_size: 500,
            clamp: true,
        };
        let request = PageRequest::parse(&too_many, &clamped, true).unwrap();
        assert_eq!(request, token_request(101, None));
    }
}

//! get and list, including `limit`/`continue` pagination, historical reads by
//! resourceVersion, and Table output.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::{Request, json_response};
use crate::error::{Error, Result};
use crate::selectors::{FieldSelector, LabelSelector};
use crate::server::App;
use crate::store::{Collection, ObjectKey, State};
use crate::tables;

pub fn get(app: &Arc<App>, req: &Request) -> Result<Response> {
    let name = req.path.name.as_deref().unwrap_or_default();
    let object = {
        let state = app.store.lock();
        state
            .get(&req.desc.key(), &req.path.namespace, name)
            .cloned()
    };
    let object = object.ok_or_else(|| Error::not_found(&req.desc.group, &req.desc.plural, name))?;
    let object = super::present(&req.desc, object);
    if tables::wants_table(req.header("accept")) {
        let rv = crate::meta::resource_version(&object).to_string();
        let table = tables::table(&req.desc, &[object], &rv, &req.params.include_object, true);
        return Ok(json_response(StatusCode::OK, &table));
    }
    Ok(json_response(StatusCode::OK, &object))
}

/// Where a list reads from: a resourceVersion and, for continued lists, the last key served.
struct ListPoint {
    rv: u64,
    after: Option<ObjectKey>,
}

pub fn list(app: &Arc<App>, req: &Request) -> Result<Response> {
    let labels = LabelSelector::parse(&req.params.label_selector)?;
    let fields = FieldSelector::for_resource(&req.params.field_selector, &req.desc)?;
    let (point, collection) = {
        let state = app.store.lock();
        let point = list_point(&state, req)?;
        let collection = read_collection(&state, req, point.rv)?;
        (point, collection)
    };

    let in_scope = collection.iter().filter(|(k, _)| {
        (req.path.namespace.is_empty() || k.namespace == req.path.namespace)
            && point.after.as_ref().is_none_or(|after| *k > after)
    });
    let matching: Vec<(&ObjectKey, &Value)> = in_scope
        .filter(|(_, v)| labels.matches(v) && fields.matches(v))
        .collect();
    let limit = req.params.limit.unwrap_or(usize::MAX);
    let page: Vec<Value> = matching
        .iter()
        .take(limit)
        .map(|(_, v)| super::present(&req.desc, (*v).clone()))
        .collect();

    let mut metadata = json!({"resourceVersion": point.rv.to_string()});
    if matching.len() > page.len() {
        let last = matching[page.len() - 1].0;
        metadata["continue"] = json!(encode_continue(point.rv, last));
        if labels.is_empty() && fields.is_empty() {
            metadata["remainingItemCount"] = json!(matching.len() - page.len());
        }
    }
    if tables::wants_table(req.header("accept")) {
        let mut table = tables::table(
            &req.desc,
            &page,
            &point.rv.to_string(),
            &req.params.include_object,
            true,
        );
        table["metadata"] = metadata;
        return Ok(json_response(StatusCode::OK, &table));
    }
    let list = json!({
        "kind": format!("{}List", req.desc.kind),
        "apiVersion": req.desc.api_version(),
        "metadata": metadata,
        "items": page,
    });
    Ok(json_response(StatusCode::OK, &list))
}

fn list_point(state: &State, req: &Request) -> Result<ListPoint> {
    let params = &req.params;
    if !params.continue_token.is_empty() {
        let (rv, after) = decode_continue(&params.continue_token)?;
        state.check_not_compacted(rv).map_err(|_| {
            Error::Gone(
                "The provided continue parameter is too old to display a consistent list result. \
                         You can start a new list without the continue parameter."
                    .into(),
            )
        })?;
        return Ok(ListPoint {
            rv,
            after: Some(after),
        });
    }
    let current = state.current_rv();
    let rv = match (
        params.resource_version_number()?,
        params.resource_version_match.as_str(),
    ) {
        (None, "") | (Some(0), "" | "NotOlderThan") => current,
        (None, other) => {
            return Err(Error::bad_request(format!(
                "resourceVersionMatch \"{other}\" is forbidden unless resourceVersion is provided"
            )));
        }
        (Some(rv), _) if rv > current => {
            return Err(Error::TooLargeResourceVersion {
                requested: rv,
                current,
            });
        }
        (Some(rv), "Exact") => rv,
        (Some(_), "" | "NotOlderThan") => current,
        (Some(_), other) => {
            return Err(Error::bad_request(format!(
                "resourceVersionMatch: Unsupported value: \"{other}\": supported values: \
                 \"Exact\", \"NotOlderThan\""
            )));
        }
    };
    Ok(ListPoint { rv, after: None })
}

fn read_collection(state: &State, req: &Request, rv: u64) -> Result<Collection> {
    let key = req.desc.key();
    if rv == state.current_rv() {
        return Ok(state.collection(&key).cloned().unwrap_or_default());
    }
    state.collection_at(&key, rv)
}

fn encode_continue(rv: u64, last: &ObjectKey) -> String {
    let token = json!({"v": "meta.k8s.io/v1", "rv": rv, "start": [last.namespace, last.name]});
    STANDARD.encode(token.to_string())
}

fn decode_continue(token: &str) -> Result<(u64, ObjectKey)> {
    let bad = || Error::bad_request(format!("continue key is not valid: \"{token}\""));
    let bytes = STANDARD.decode(token).map_err(|_| bad())?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    let rv = value["rv"].as_u64().ok_or_else(bad)?;
    let namespace = value["start"][0].as_str().ok_or_else(bad)?.to_string();
    let name = value["start"][1].as_str().ok_or_else(bad)?.to_string();
    Ok((rv, ObjectKey { namespace, name }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_round_trip_and_reject_garbage() {
        let key = ObjectKey {
            namespace: "ns".into(),
            name: "a".into(),
        };
        let token = encode_continue(7, &key);
        assert_eq!(decode_continue(&token).unwrap(), (7, key));
        assert_eq!(decode_continue("%%%").unwrap_err().code_and_reason().0, 400);
    }
}

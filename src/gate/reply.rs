//! An executed operation's answer as the transports send it: async-graphql's response, or
//! one whose data a compiled plan wrote straight as JSON text (`crate::plan`). Both
//! serialize alike: `data`, then `extensions`, then `errors` (each left out when empty).

use std::collections::BTreeMap;

use async_graphql::{Response, ServerError, Value};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

/// What an executed operation answers.
pub struct Reply {
    /// The response; its `data` is unused when `written` holds the data.
    pub response: Response,
    /// The data as JSON text, which a plan's writer makes valid by construction (each value
    /// written by serde or as a literal, UTF-8 throughout): it is not parsed or checked
    /// again on its way out. Builds with debug assertions (the tests') check it all the same.
    written: Option<Vec<u8>>,
}

impl Reply {
    /// An answer async-graphql's executor resolved.
    pub fn resolved(response: Response) -> Self {
        Self {
            response,
            written: None,
        }
    }

    /// An answer whose data is JSON text already, with the errors met while writing it.
    pub fn written(data: Vec<u8>, errors: Vec<ServerError>) -> Self {
        debug_assert!(
            std::str::from_utf8(&data).is_ok()
                && serde_json::from_slice::<serde::de::IgnoredAny>(&data).is_ok(),
            "a plan wrote invalid JSON: {}",
            String::from_utf8_lossy(&data)
        );
        Self {
            response: Response::from_errors(errors),
            written: Some(data),
        }
    }

    /// Adds an extension (the query cost).
    pub fn extension(mut self, name: &str, value: Value) -> Self {
        self.response.extensions.insert(name.to_string(), value);
        self
    }

    pub fn errors(&self) -> &[ServerError] {
        &self.response.errors
    }

    /// The answer as JSON text, written once into a buffer the size of a plan's data (and
    /// a little more): growing it from nothing copied a large answer several times over.
    pub fn to_json(&self) -> serde_json::Result<Vec<u8>> {
        let Some(data) = &self.written else {
            let mut out = Vec::with_capacity(512);
            serde_json::to_writer(&mut out, &self.response)?;
            return Ok(out);
        };
        // `Written`'s fields in its order, the data copied as it is.
        let mut out = Vec::with_capacity(data.len() + 512);
        out.extend_from_slice(br#"{"data":"#);
        out.extend_from_slice(data);
        let (extensions, errors) = (&self.response.extensions, &self.response.errors);
        if !extensions.is_empty() {
            out.extend_from_slice(br#","extensions":"#);
            serde_json::to_writer(&mut out, extensions)?;
        }
        if !errors.is_empty() {
            out.extend_from_slice(br#","errors":"#);
            serde_json::to_writer(&mut out, errors)?;
        }
        out.push(b'}');
        Ok(out)
    }
}

#[derive(Serialize)]
struct Written<'a> {
    data: &'a RawValue,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    extensions: &'a BTreeMap<String, Value>,
    #[serde(skip_serializing_if = "<[ServerError]>::is_empty")]
    errors: &'a [ServerError],
}

impl Serialize for Reply {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.written {
            None => self.response.serialize(serializer),
            Some(data) => {
                let data: &RawValue =
                    serde_json::from_slice(data).map_err(serde::ser::Error::custom)?;
                Written {
                    data,
                    extensions: &self.response.extensions,
                    errors: &self.response.errors,
                }
                .serialize(serializer)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buffered_text_is_the_serialized_answer() {
        let error = ServerError::new("refused", None);
        let written = Reply::written(br#"{"a":[1,"x"]}"#.to_vec(), vec![error.clone()])
            .extension("cost", Value::from(3));
        let bare = Reply::written(br#"{"a":null}"#.to_vec(), Vec::new());
        let resolved = Reply::resolved(Response::from_errors(vec![error]));
        let mut texts = Vec::new();
        for reply in [written, bare, resolved] {
            let text = String::from_utf8(reply.to_json().expect("json")).expect("utf-8");
            assert_eq!(text, serde_json::to_string(&reply).expect("serialized"));
            texts.push(text);
        }
        assert_eq!(
            texts[0],
            r#"{"data":{"a":[1,"x"]},"extensions":{"cost":3},"errors":[{"message":"refused"}]}"#
        );
        assert_eq!(texts[1], r#"{"data":{"a":null}}"#);
        assert!(texts[2].contains("refused"), "{}", texts[2]);
    }
}

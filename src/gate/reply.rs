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
    written: Option<Box<RawValue>>,
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
    pub fn written(data: String, errors: Vec<ServerError>) -> Result<Self, serde_json::Error> {
        Ok(Self {
            response: Response::from_errors(errors),
            written: Some(RawValue::from_string(data)?),
        })
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
        let written = self.written.as_ref().map_or(0, |data| data.get().len());
        let mut out = Vec::with_capacity(written + 512);
        serde_json::to_writer(&mut out, self)?;
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
            Some(data) => Written {
                data,
                extensions: &self.response.extensions,
                errors: &self.response.errors,
            }
            .serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buffered_text_is_the_serialized_answer() {
        let error = ServerError::new("refused", None);
        let written = Reply::written(r#"{"a":[1,"x"]}"#.into(), vec![error.clone()])
            .expect("valid")
            .extension("cost", Value::from(3));
        let resolved = Reply::resolved(Response::from_errors(vec![error]));
        for reply in [written, resolved] {
            let text = String::from_utf8(reply.to_json().expect("json")).expect("utf-8");
            assert_eq!(text, serde_json::to_string(&reply).expect("serialized"));
            assert!(text.contains("refused"), "{text}");
        }
    }
}

//! Relay connections: `edges { cursor node }`, `nodes`, `pageInfo`, `totalCount`, with
//! opaque keyset cursors. Page size 1..100 (default 20); `first` with `last` is refused.

use std::borrow::Cow;

use async_graphql::{Context, Object, OutputType, TypeName, connection::PageInfo};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::{
    db::page::{Cursor, Page, PageRequest},
    error::AppError,
};

pub const DEFAULT_PAGE_SIZE: i32 = 20;
pub const MAX_PAGE_SIZE: i32 = 100;

/// The names of a node type's connection and edge types.
pub trait ConnectionNode: OutputType {
    const CONNECTION: &'static str;
    const EDGE: &'static str;
}

/// Declares the connection and edge names of node types.
#[macro_export]
macro_rules! connection_names {
    ($($node:ty => $conn:literal, $edge:literal;)+) => {
        $(impl $crate::graphql::connection::ConnectionNode for $node {
            const CONNECTION: &'static str = $conn;
            const EDGE: &'static str = $edge;
        })+
    };
}

/// One page of a list.
pub struct Connection<N> {
    edges: Vec<Edge<N>>,
    has_previous_page: bool,
    has_next_page: bool,
    total_count: i64,
}

/// A node with its cursor.
pub struct Edge<N> {
    cursor: String,
    node: N,
}

impl<N: ConnectionNode> Connection<N> {
    /// Builds a connection from a domain page; `total_count` is what `totalCount` answers.
    pub fn new(page: Page<N>, total_count: i64) -> Self {
        Self {
            has_previous_page: page.has_previous,
            has_next_page: page.has_next,
            edges: page
                .items
                .into_iter()
                .map(|(cursor, node)| Edge {
                    cursor: encode_cursor(&cursor),
                    node,
                })
                .collect(),
            total_count,
        }
    }
}

/// One page of a list (a Relay connection): its edges (or just the nodes), where the page
/// lies, and how many nodes the whole list has.
#[Object(name_type)]
impl<N: ConnectionNode> Connection<N> {
    /// The nodes of this page, each with its cursor.
    async fn edges(&self) -> &[Edge<N>] {
        &self.edges
    }

    /// The nodes of this page, without cursors.
    async fn nodes(&self) -> Vec<&N> {
        self.edges.iter().map(|e| &e.node).collect()
    }

    /// Where this page lies in the whole list.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_previous_page: self.has_previous_page,
            has_next_page: self.has_next_page,
            start_cursor: self.edges.first().map(|e| e.cursor.clone()),
            end_cursor: self.edges.last().map(|e| e.cursor.clone()),
        }
    }

    /// How many nodes the whole list has under its filter (not just this page).
    async fn total_count(&self) -> i64 {
        self.total_count
    }
}

impl<N: ConnectionNode> TypeName for Connection<N> {
    fn type_name() -> Cow<'static, str> {
        Cow::Borrowed(N::CONNECTION)
    }
}

/// One node of a list's page, with its cursor.
#[Object(name_type)]
impl<N: ConnectionNode> Edge<N> {
    /// Opaque position of this node, for `after` and `before`.
    async fn cursor(&self) -> &str {
        &self.cursor
    }

    /// The node.
    async fn node(&self) -> &N {
        &self.node
    }
}

impl<N: ConnectionNode> TypeName for Edge<N> {
    fn type_name() -> Cow<'static, str> {
        Cow::Borrowed(N::EDGE)
    }
}

pub fn encode_cursor(cursor: &Cursor) -> String {
    // Serializing our own plain struct cannot fail; an empty cursor would only be refused later.
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(cursor).unwrap_or_default())
}

fn decode_cursor(s: &str) -> Result<Cursor, AppError> {
    let bad = || AppError::BadUserInput("invalid cursor".into());
    let bytes = URL_SAFE_NO_PAD.decode(s).map_err(|_| bad())?;
    serde_json::from_slice(&bytes).map_err(|_| bad())
}

/// The arguments of a connection field, validated into a page request.
pub fn page_request(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<PageRequest, AppError> {
    if first.is_some() && last.is_some() {
        return Err(AppError::BadUserInput(
            "use either first or last, not both".into(),
        ));
    }
    let size = first.or(last).unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&size) {
        return Err(AppError::BadUserInput(format!(
            "page size must be between 1 and {MAX_PAGE_SIZE}"
        )));
    }
    Ok(PageRequest {
        limit: size as u64,
        backward: last.is_some(),
        after: after.as_deref().map(decode_cursor).transpose()?,
        before: before.as_deref().map(decode_cursor).transpose()?,
    })
}

/// Whether the client selected `totalCount` on the connection being resolved.
pub fn wants_total(ctx: &Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

/// Complexity of a connection field: its page size times what each node costs, so a
/// client cannot ask for 100 × 100 × 100 nested rows under the limit.
pub fn page_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let size = first
        .or(last)
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .clamp(1, MAX_PAGE_SIZE) as usize;
    size.saturating_mul(child_complexity).saturating_add(1)
}

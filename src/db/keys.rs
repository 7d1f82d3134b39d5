//! Server secrets generated on first use and kept in the database, so that every replica
//! and every CLI command of one installation agree without set-up.

use base64::Engine;
use rand::RngCore;
use sea_orm::{ConnectionTrait, EntityTrait, Set, sea_query::OnConflict};

use entity::server_key;

use crate::error::{AppError, AppResult};

/// The secret called `name`, created (256 random bits) if it does not exist yet. Two
/// replicas starting at once both end up with the one that was inserted first.
pub async fn get_or_create<C: ConnectionTrait>(db: &C, name: &str) -> AppResult<String> {
    if let Some(found) = server_key::Entity::find_by_id(name.to_string())
        .one(db)
        .await?
    {
        return Ok(found.value);
    }
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let value = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    server_key::Entity::insert(server_key::ActiveModel {
        name: Set(name.to_string()),
        value: Set(value),
        created_at: Set(crate::clock::now()),
    })
    .on_conflict(
        OnConflict::column(server_key::Column::Name)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    server_key::Entity::find_by_id(name.to_string())
        .one(db)
        .await?
        .map(|k| k.value)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("server key {name} vanished")))
}

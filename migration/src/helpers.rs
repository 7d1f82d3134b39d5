//! Statement builders the migrations share: named foreign keys and indexes.

use sea_orm_migration::prelude::*;

pub fn fk(table: &'static str, col: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{col}"))
        .from(table, col)
        .to(to, "id")
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

pub fn index(table: &'static str, name: &str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(format!("idx_{table}_{name}"))
        .table(table)
        .if_not_exists();
    for col in cols {
        stmt.col(*col);
    }
    stmt.to_owned()
}

/// Drops the index [`index`] made as `name` on `table`.
pub fn drop_index(table: &'static str, name: &str) -> IndexDropStatement {
    Index::drop()
        .name(format!("idx_{table}_{name}"))
        .table(table)
        .to_owned()
}

pub fn unique(table: &'static str, name: &str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = index(table, name, cols);
    stmt.unique();
    stmt
}

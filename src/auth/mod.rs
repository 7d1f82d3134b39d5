//! Who is asking: JWT access tokens (`jwt`), password hashing (`password`), and the `Viewer`
//! built from the `Authorization: Bearer` header for each request.

pub mod cache;
pub mod jwt;
pub mod password;
pub mod throttle;

use entity::account;

/// The authenticated subject of a request.
#[derive(Debug, Clone)]
pub enum Viewer {
    /// No token: may only log in or refresh a session.
    Anonymous,
    /// ISP staff.
    Admin(StaffViewer),
    /// An account holder, with a snapshot of its account taken for this request.
    Customer(Box<CustomerViewer>),
    /// The server itself: scheduled jobs and the command line. It has staff's rights and
    /// appears in records as "the system", never as a staff user.
    System,
}

#[derive(Debug, Clone)]
pub struct StaffViewer {
    pub id: i64,
    pub full_name: String,
}

#[derive(Debug, Clone)]
pub struct CustomerViewer {
    pub account: account::Model,
    /// The global `independentSubAccountAccess` switch, read once per request.
    pub independent_access: bool,
    /// The account's partner lets aggregated sub-accounts place orders.
    pub sub_accounts_can_order: bool,
    /// For a sub-account: its main account has sub-account management on (so it can act on
    /// what the sub-account asks).
    pub main_manages: bool,
}

impl Viewer {
    /// How the activity history names this viewer.
    pub fn actor_label(&self) -> String {
        match self {
            Viewer::Anonymous => "anonymous".into(),
            Viewer::Admin(staff) => {
                format!(
                    "{} ({})",
                    Subject::Staff(staff.id).encode(),
                    staff.full_name
                )
            }
            Viewer::Customer(c) => format!(
                "{} ({})",
                Subject::Account(c.account.id).encode(),
                c.account.full_name
            ),
            Viewer::System => "system".into(),
        }
    }

    /// Staff, or the server acting on its own with staff's rights.
    pub fn is_admin(&self) -> bool {
        matches!(self, Viewer::Admin(_) | Viewer::System)
    }

    /// Who the viewer is, as tokens name it; `None` for anonymous callers.
    pub fn subject(&self) -> Option<Subject> {
        match self {
            Viewer::Admin(staff) => Some(Subject::Staff(staff.id)),
            Viewer::Customer(c) => Some(Subject::Account(c.account.id)),
            Viewer::Anonymous | Viewer::System => None,
        }
    }

    /// The viewer's subject as tokens write it: what records made by a viewer (its bulk
    /// requests, its signed exports) are keyed by. Anonymous callers have none.
    pub fn subject_key(&self) -> crate::error::AppResult<String> {
        self.subject()
            .map(Subject::encode)
            .ok_or(crate::error::AppError::Unauthenticated(
                "authentication required",
            ))
    }

    /// The viewer's own account, for customers.
    pub fn account(&self) -> Option<&account::Model> {
        match self {
            Viewer::Customer(c) => Some(&c.account),
            _ => None,
        }
    }
}

/// The `sub` claim of a token: which table the subject lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    Staff(i64),
    Account(i64),
}

impl Subject {
    pub fn encode(self) -> String {
        match self {
            Subject::Staff(id) => format!("staff:{id}"),
            Subject::Account(id) => format!("account:{id}"),
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let (kind, id) = s.split_once(':')?;
        let id: i64 = id.parse().ok()?;
        match kind {
            "staff" => Some(Subject::Staff(id)),
            "account" => Some(Subject::Account(id)),
            _ => None,
        }
    }

    pub fn role(self) -> jwt::Role {
        match self {
            Subject::Staff(_) => jwt::Role::Admin,
            Subject::Account(_) => jwt::Role::Customer,
        }
    }
}

/// Builds the viewer of a verified token: the subject must still exist. One statement for
/// staff and one for customers: the account and the global switch the policy needs.
pub async fn load_viewer<C: sea_orm::ConnectionTrait>(
    db: &C,
    subject: Subject,
) -> Result<Viewer, crate::error::AppError> {
    use sea_orm::EntityTrait;
    let gone = crate::error::AppError::Unauthenticated("invalid or expired access token");
    match subject {
        Subject::Staff(id) => {
            let staff = entity::staff_user::Entity::find_by_id(id)
                .one(db)
                .await?
                .ok_or(gone)?;
            Ok(Viewer::Admin(StaffViewer {
                id: staff.id,
                full_name: staff.full_name,
            }))
        }
        Subject::Account(id) => {
            // One statement: the account row with the switches the policy needs as extra
            // columns.
            use sea_orm::{FromQueryResult, QuerySelect, QueryTrait, sea_query::Expr};
            let stmt = account::Entity::find_by_id(id)
                .column_as(
                    Expr::cust(
                        "(SELECT independent_sub_account_access FROM portal_settings WHERE id = 1)",
                    ),
                    "independent_access",
                )
                .column_as(
                    Expr::cust(
                        "(SELECT p.sub_accounts_can_order FROM partner_portal_settings p \
                         WHERE p.partner_id = accounts.partner_id)",
                    ),
                    "sub_accounts_can_order",
                )
                .column_as(
                    Expr::cust(
                        "(SELECT m.sub_account_management FROM accounts m \
                         WHERE m.id = accounts.main_account_id)",
                    ),
                    "main_manages",
                )
                .build(db.get_database_backend());
            let row = db.query_one_raw(stmt).await?.ok_or(gone)?;
            let account = account::Model::from_query_result(&row, "")?;
            let flag = |name: &str| -> Result<bool, sea_orm::DbErr> {
                Ok(row.try_get::<Option<bool>>("", name)?.unwrap_or(false))
            };
            Ok(Viewer::Customer(Box::new(CustomerViewer {
                independent_access: flag("independent_access")?,
                sub_accounts_can_order: flag("sub_accounts_can_order")?,
                main_manages: flag("main_manages")?,
                account,
            })))
        }
    }
}

//! The `search` and `filter` expressions of `GET /api/v1/users` (CONTRACT §2 note 7):
//! `attribute operator "value"` terms joined by `and`/`or` (`and` binds tighter; no
//! parentheses). Property names are case-sensitive; operators and values are not. `filter`
//! allows only `eq`; `search` also allows `sw` (starts with) and `co` (contains). Anything else
//! is a malformed expression, answered with 400 `E0000031`.

use crate::tenant::{User, UserStatus};

/// A parsed expression: a disjunction of conjunctions of terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expr {
    any: Vec<Vec<Term>>,
    dialect: Dialect,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    attribute: Attribute,
    op: Op,
    /// Lowercased.
    value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attribute {
    Id,
    Status,
    Login,
    Email,
    FirstName,
    LastName,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    StartsWith,
    Contains,
}

/// Which parameter the expression came in, which decides the allowed operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// `search=`: `eq`, `sw`, `co`.
    Search,
    /// `filter=`: `eq` only.
    Filter,
}

impl Expr {
    /// Parses an expression; `None` if it is malformed.
    pub(crate) fn parse(text: &str, dialect: Dialect) -> Option<Expr> {
        let tokens = tokenize(text)?;
        let mut any = vec![Vec::new()];
        let mut rest = tokens.as_slice();
        loop {
            let [attribute, op, value, tail @ ..] = rest else { return None };
            let term = Term {
                attribute: attribute_named(attribute.bare()?)?,
                op: op_named(op.bare()?, dialect)?,
                value: value.quoted()?.to_lowercase(),
            };
            any.last_mut()?.push(term);
            match tail {
                [] => return Some(Expr { any, dialect }),
                [joiner, tail @ ..] => {
                    match joiner.bare()?.to_ascii_lowercase().as_str() {
                        "and" => {}
                        "or" => any.push(Vec::new()),
                        _ => return None,
                    }
                    rest = tail;
                }
            }
        }
    }

    /// Whether a user matches.
    pub(crate) fn matches(&self, user: &User) -> bool {
        // `search` reads an eventually consistent index; `filter` the user as it is.
        let status = match self.dialect {
            Dialect::Search => user.searched_status,
            Dialect::Filter => user.status,
        };
        self.any.iter().any(|all| all.iter().all(|term| term.matches(user, status)))
    }
}

impl Term {
    fn matches(&self, user: &User, status: UserStatus) -> bool {
        let field = match self.attribute {
            Attribute::Id => user.id.to_lowercase(),
            Attribute::Status => status.as_str().to_lowercase(),
            Attribute::Login => user.login.to_lowercase(),
            Attribute::Email => user.email().to_lowercase(),
            Attribute::FirstName => user.first_name.to_lowercase(),
            Attribute::LastName => user.last_name.to_lowercase(),
        };
        match self.op {
            Op::Eq => field == self.value,
            Op::StartsWith => field.starts_with(&self.value),
            Op::Contains => field.contains(&self.value),
        }
    }
}

fn attribute_named(name: &str) -> Option<Attribute> {
    Some(match name {
        "id" => Attribute::Id,
        "status" => Attribute::Status,
        "profile.login" => Attribute::Login,
        "profile.email" => Attribute::Email,
        "profile.firstName" => Attribute::FirstName,
        "profile.lastName" => Attribute::LastName,
        _ => return None,
    })
}

fn op_named(name: &str, dialect: Dialect) -> Option<Op> {
    match (name.to_ascii_lowercase().as_str(), dialect) {
        ("eq", _) => Some(Op::Eq),
        ("sw", Dialect::Search) => Some(Op::StartsWith),
        ("co", Dialect::Search) => Some(Op::Contains),
        _ => None,
    }
}

#[derive(Debug)]
enum Token {
    Bare(String),
    Quoted(String),
}

impl Token {
    fn bare(&self) -> Option<&str> {
        match self {
            Token::Bare(s) => Some(s),
            Token::Quoted(_) => None,
        }
    }

    fn quoted(&self) -> Option<&str> {
        match self {
            Token::Quoted(s) => Some(s),
            Token::Bare(_) => None,
        }
    }
}

/// Splits on whitespace, keeping `"…"` strings (with `\"` and `\\` escapes) whole.
fn tokenize(text: &str) -> Option<Vec<Token>> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut s = String::new();
            loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => s.push(chars.next()?),
                    other => s.push(other),
                }
            }
            tokens.push(Token::Quoted(s));
        } else {
            let mut s = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '"' {
                    break;
                }
                s.push(c);
                chars.next();
            }
            tokens.push(Token::Bare(s));
        }
    }
    Some(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(login: &str, status: UserStatus) -> User {
        User {
            id: "00uABC".into(),
            first_name: "Alice".into(),
            last_name: "Smith".into(),
            login: login.into(),
            email: None,
            status,
            searched_status: status,
            created: 0,
            activated: None,
            status_changed: None,
            last_login: None,
            last_updated: 0,
            password_changed: None,
        }
    }

    #[test]
    fn email_equality_ignores_case_of_operator_and_value() {
        let e = Expr::parse(r#"profile.email EQ "Alice@Example.com""#, Dialect::Filter).unwrap();
        assert!(e.matches(&user("alice@example.com", UserStatus::Active)));
        assert!(!e.matches(&user("bob@example.com", UserStatus::Active)));
    }

    #[test]
    fn search_sees_the_indexed_status_and_filter_the_current_one() {
        let mut suspended = user("a@example.com", UserStatus::Suspended);
        suspended.searched_status = UserStatus::Active;
        let text = r#"status eq "SUSPENDED""#;
        assert!(!Expr::parse(text, Dialect::Search).unwrap().matches(&suspended));
        assert!(Expr::parse(text, Dialect::Filter).unwrap().matches(&suspended));
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let text = r#"status eq "SUSPENDED" and profile.login sw "a" or id eq "00uabc""#;
        let e = Expr::parse(text, Dialect::Search).unwrap();
        assert!(e.matches(&user("bob@x.io", UserStatus::Active)));
    }

    #[test]
    fn malformed_expressions_are_rejected() {
        for text in [
            "",
            "profile.email",
            r#"profile.email eq"#,
            r#"profile.email eq alice"#,
            r#"profile.email eq "unterminated"#,
            r#"profile.Email eq "a""#,
            r#"profile.email xx "a""#,
            r#"profile.email eq "a" nand status eq "ACTIVE""#,
        ] {
            assert_eq!(Expr::parse(text, Dialect::Search), None, "{text}");
        }
        assert_eq!(Expr::parse(r#"profile.email sw "a""#, Dialect::Filter), None);
    }
}

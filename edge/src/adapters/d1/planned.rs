//! Reads prepared before they run, so that everything one request reads goes to D1 in one batch:
//! one round trip (about 5 ms locally, more from a far colo), and one transaction, so every
//! answer is of one moment.
//!
//! A [`Planned`] read holds its prepared statements and how to parse their answers. Two planned
//! reads join into one ([`Planned::and`]); [`Planned::run`] sends the statements as one batch
//! and hands each part its own answers, in order.

use serde::de::DeserializeOwned;
use worker::{D1PreparedStatement, D1Result};

use super::{Store, batch_answer};
use crate::error::StoreError;

/// The answers of a batch, in the order of its statements.
pub(crate) type Answers = std::vec::IntoIter<D1Result>;

/// How a planned read turns its statements' answers into its value.
type Parse<T> = Box<dyn FnOnce(&mut Answers) -> Result<T, StoreError>>;

/// A read whose statements are prepared and not yet sent.
pub(crate) struct Planned<T> {
    statements: Vec<D1PreparedStatement>,
    parse: Parse<T>,
}

impl<T: 'static> Planned<T> {
    /// A read of `statements` whose answers `parse` takes, in their order.
    pub(crate) fn new(
        statements: Vec<D1PreparedStatement>,
        parse: impl FnOnce(&mut Answers) -> Result<T, StoreError> + 'static,
    ) -> Self {
        Self { statements, parse: Box::new(parse) }
    }

    /// The same read, its value turned by `f`.
    pub(crate) fn map<U: 'static>(self, f: impl FnOnce(T) -> U + 'static) -> Planned<U> {
        let parse = self.parse;
        Planned::new(self.statements, move |answers| parse(answers).map(f))
    }

    /// This read and `other`, sent together.
    pub(crate) fn and<U: 'static>(mut self, other: Planned<U>) -> Planned<(T, U)> {
        let (first, second) = (self.parse, other.parse);
        self.statements.extend(other.statements);
        Planned::new(self.statements, move |answers| Ok((first(answers)?, second(answers)?)))
    }

    /// Every read of `reads`, sent together, their values in order.
    pub(crate) fn join_all(reads: Vec<Self>) -> Planned<Vec<T>> {
        let mut statements = Vec::new();
        let mut parses = Vec::with_capacity(reads.len());
        for read in reads {
            statements.extend(read.statements);
            parses.push(read.parse);
        }
        Planned::new(statements, move |answers| {
            parses.into_iter().map(|parse| parse(answers)).collect()
        })
    }

    /// Sends the statements in one batch and parses their answers.
    pub(crate) async fn run(self, store: &Store) -> Result<T, StoreError> {
        let mut answers = if self.statements.is_empty() {
            Vec::new().into_iter()
        } else {
            store.read_together(self.statements).await?.into_iter()
        };
        (self.parse)(&mut answers)
    }
}

/// Nothing to read: joined with another read, it adds no statement.
impl Planned<()> {
    pub(crate) fn nothing() -> Self {
        Self::new(Vec::new(), |_| Ok(()))
    }
}

/// A read of one statement's rows.
impl<R: DeserializeOwned + 'static> Planned<Vec<R>> {
    pub(crate) fn all(statement: D1PreparedStatement) -> Self {
        Self::new(vec![statement], |answers| batch_answer(answers.next()))
    }
}

/// A read of one statement's first row, if any.
impl<R: DeserializeOwned + 'static> Planned<Option<R>> {
    pub(crate) fn first(statement: D1PreparedStatement) -> Self {
        Self::new(vec![statement], |answers| {
            Ok(batch_answer::<R>(answers.next())?.into_iter().next())
        })
    }
}

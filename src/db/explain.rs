//! `EXPLAIN` of a diesel query, to show which indexes a query uses.

use diesel::{
    pg::Pg,
    query_builder::{AstPass, Query, QueryFragment, QueryId},
    sql_types::Text,
};
use diesel_async::RunQueryDsl as _;

use super::Conn;

/// `EXPLAIN <query>`: one row of plan text per line.
#[derive(Debug, Clone)]
pub(crate) struct Explain<Q>(pub Q);

impl<Q> QueryId for Explain<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q> Query for Explain<Q> {
    type SqlType = Text;
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Explain<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> diesel::QueryResult<()> {
        out.push_sql("EXPLAIN ");
        self.0.walk_ast(out.reborrow())
    }
}

/// Runs `EXPLAIN` on `query` and returns the plan as text.
pub(crate) async fn explain<Q>(conn: &mut Conn, query: Q) -> diesel::QueryResult<String>
where
    Q: QueryFragment<Pg> + Send + 'static,
{
    let lines: Vec<String> = Explain(query).load(conn).await?;
    Ok(lines.join("\n"))
}

namespace Bazaar.Tests.Infrastructure;

/// <summary>
/// A test that needs a PostgreSQL server of its own, whatever the run's provider. Without BAZAAR_TEST_PG it is
/// reported as skipped, never as passed; in CI (CI=true) or a PostgreSQL run a missing server fails it instead.
/// </summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        var configured = !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("BAZAAR_TEST_PG"));
        var required = TestDatabase.IsPostgres || Environment.GetEnvironmentVariable("CI") == "true";
        if (!configured && !required) Skip = "needs PostgreSQL: set BAZAAR_TEST_PG to a server's connection string";
    }
}

/// <summary>
/// A test of PostgreSQL's own tools (pg_dump, pg_restore): it runs in the PostgreSQL run and is reported as skipped,
/// with the reason, in the SQLite run. In the PostgreSQL run a missing server or tool fails it.
/// </summary>
public sealed class PostgresRunFactAttribute : FactAttribute
{
    public PostgresRunFactAttribute()
    {
        if (!TestDatabase.IsPostgres) Skip = "PostgreSQL only: runs when BAZAAR_TEST_PROVIDER=Postgres (it uses pg_dump and pg_restore)";
    }
}

/// <summary>
/// A test that checks nothing a database changes and costs much time, such as saving the documentation's
/// screenshots: it runs in the SQLite run and is reported as skipped, with the reason, in the PostgreSQL run.
/// </summary>
public sealed class SqliteRunFactAttribute : FactAttribute
{
    public SqliteRunFactAttribute(string why)
    {
        if (TestDatabase.IsPostgres) Skip = "runs in the SQLite run only: " + why;
    }
}

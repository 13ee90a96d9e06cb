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

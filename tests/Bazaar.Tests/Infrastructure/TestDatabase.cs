using Microsoft.Data.Sqlite;
using Npgsql;

namespace Bazaar.Tests.Infrastructure;

/// <summary>
/// The database a test run uses, chosen by BAZAAR_TEST_PROVIDER (Sqlite, the default, or Postgres) and
/// BAZAAR_TEST_PG (a connection string to a server where databases may be created). Each factory gets a
/// database of its own, dropped afterwards.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    public string Provider { get; }
    public string ConnectionString { get; }
    private readonly string? _pgName;
    private readonly string? _sqlitePath;

    private TestDatabase(string provider, string connectionString, string? pgName, string? sqlitePath)
    {
        Provider = provider;
        ConnectionString = connectionString;
        _pgName = pgName;
        _sqlitePath = sqlitePath;
    }

    public static string ProviderName =>
        (Environment.GetEnvironmentVariable("BAZAAR_TEST_PROVIDER") ?? "Sqlite").Equals("Postgres", StringComparison.OrdinalIgnoreCase)
            ? "Postgres" : "Sqlite";

    public static bool IsPostgres => ProviderName == "Postgres";

    /// <summary>The PostgreSQL server for tests, or null when none is configured (allowed only outside CI).</summary>
    public static string? PostgresServer
    {
        get
        {
            var cs = Environment.GetEnvironmentVariable("BAZAAR_TEST_PG");
            if (string.IsNullOrWhiteSpace(cs) && (IsPostgres || Environment.GetEnvironmentVariable("CI") == "true"))
                throw new InvalidOperationException("BAZAAR_TEST_PG must name a PostgreSQL server for this run (CI never skips PostgreSQL).");
            return string.IsNullOrWhiteSpace(cs) ? null : cs;
        }
    }

    public static Task<TestDatabase> CreateAsync() => IsPostgres ? CreatePostgresAsync(PostgresServer!) : Task.FromResult(CreateSqlite());

    public static TestDatabase CreateSqlite()
    {
        var dir = Path.Combine(Path.GetTempPath(), "bazaar-tests");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, $"t-{Guid.NewGuid():N}.db");
        return new TestDatabase("Sqlite", $"Data Source={path}", null, path);
    }

    public static async Task<TestDatabase> CreatePostgresAsync(string server)
    {
        var name = $"bazaar_t_{Guid.NewGuid():N}";
        var admin = new NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false };
        await using (var conn = new NpgsqlConnection(admin.ToString()))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        var cs = new NpgsqlConnectionStringBuilder(server) { Database = name, MaxPoolSize = 50 }.ToString();
        return new TestDatabase("Postgres", cs, name, null);
    }

    /// <summary>A PostgreSQL database name for something else to create (a restore), dropped afterwards like the others.</summary>
    public static TestDatabase NamedPostgres(string server)
    {
        var name = $"bazaar_t_{Guid.NewGuid():N}";
        var cs = new NpgsqlConnectionStringBuilder(server) { Database = name, MaxPoolSize = 50 }.ToString();
        return new TestDatabase("Postgres", cs, name, null);
    }

    /// <summary>The database's name on its server (PostgreSQL).</summary>
    public string? PostgresName => _pgName;

    public async ValueTask DisposeAsync()
    {
        if (_pgName is not null)
        {
            NpgsqlConnection.ClearAllPools();
            var admin = new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres", Pooling = false };
            await using var conn = new NpgsqlConnection(admin.ToString());
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_pgName}\" WITH (FORCE)", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        if (_sqlitePath is not null)
        {
            SqliteConnection.ClearAllPools();
            foreach (var f in new[] { _sqlitePath, _sqlitePath + "-wal", _sqlitePath + "-shm" })
            {
                try { File.Delete(f); } catch (IOException) { }
            }
        }
    }
}

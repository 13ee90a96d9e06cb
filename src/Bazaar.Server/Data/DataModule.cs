using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Bazaar.Server.Data;

public enum DatabaseProvider { Sqlite, Postgres }

public sealed class DatabaseOptions
{
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;
    public string ConnectionString { get; set; } = "Data Source=bazaar.db";
}

public static class DataModule
{
    public static IServiceCollection AddData(this IServiceCollection services, IConfiguration config)
    {
        var options = ReadOptions(config);
        services.AddSingleton(options);
        // Pooled contexts: a scope leases one that is already set up (EF resets it on return) instead of building EF's
        // internal services for each update, request or purchase attempt, which cost more than a simple query.
        if (options.Provider == DatabaseProvider.Postgres)
        {
            var cs = PreparePostgres(options.ConnectionString);
            services.AddDbContextPool<BazaarDb, PostgresBazaarDb>(o => ConfigurePostgres(o, cs));
        }
        else
        {
            var cs = PrepareSqlite(options.ConnectionString);
            services.AddDbContextPool<BazaarDb, SqliteBazaarDb>(o => ConfigureSqlite(o, cs));
        }
        services.AddHostedService<DatabaseMigrator>();
        return services;
    }

    public static DatabaseOptions ReadOptions(IConfiguration config)
    {
        var provider = config["Database:Provider"];
        var parsed = DatabaseProvider.Sqlite;
        if (!string.IsNullOrWhiteSpace(provider) && !Enum.TryParse(provider, ignoreCase: true, out parsed))
            throw new StartupError($"Database:Provider must be Sqlite or Postgres, not '{provider}'.");
        var cs = config.GetConnectionString("Bazaar");
        if (parsed == DatabaseProvider.Postgres && string.IsNullOrWhiteSpace(cs))
            throw new StartupError("Database:Provider is Postgres but ConnectionStrings:Bazaar is not set " +
                "(e.g. ConnectionStrings__Bazaar='Host=127.0.0.1;Username=bazaar;Password=...;Database=bazaar').");
        cs = string.IsNullOrWhiteSpace(cs) ? "Data Source=bazaar.db" : cs;
        try
        {
            // Parse now, so a typo stops the server with one line instead of a stack trace at the first query.
            _ = parsed == DatabaseProvider.Postgres ? new Npgsql.NpgsqlConnectionStringBuilder(cs).Host : new SqliteConnectionStringBuilder(cs).DataSource;
        }
        catch (ArgumentException e)
        {
            throw new StartupError($"ConnectionStrings:Bazaar is not a valid {parsed} connection string: {e.Message}");
        }
        if (parsed == DatabaseProvider.Postgres && string.IsNullOrWhiteSpace(new Npgsql.NpgsqlConnectionStringBuilder(cs).Host))
            throw new StartupError("ConnectionStrings:Bazaar for Postgres names no Host.");
        return new DatabaseOptions { Provider = parsed, ConnectionString = cs };
    }

    internal static void ConfigurePostgres(DbContextOptionsBuilder o, string connectionString) =>
        o.UseNpgsql(connectionString, n => n.MigrationsHistoryTable("__ef_migrations"))
         .AddInterceptors(SystemBalancesAtCommit.Instance, AfterCommit.Instance);

    internal static void ConfigureSqlite(DbContextOptionsBuilder o, string connectionString) =>
        o.UseSqlite(connectionString, s => s.MigrationsHistoryTable("__ef_migrations"))
         .AddInterceptors(SqliteConnectionTuning.Instance, AfterCommit.Instance);

    /// <summary>
    /// The statements every update repeats (the user upsert, the outbox insert, the inbox's batch) are parsed and planned
    /// once per connection instead of on every call: under a steady load PostgreSQL spent about three quarters of its CPU
    /// outside the statements' execution. An operator's own "Max Auto Prepare" is kept.
    /// </summary>
    internal static string PreparePostgres(string connectionString)
    {
        if (connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase)) return connectionString;
        var b = new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = 64, AutoPrepareMinUsages = 2 };
        b.Options = ((b.Options ?? "") + " -c plan_cache_mode=force_custom_plan").Trim();
        return b.ToString();
    }

    /// <summary>Concurrent writers wait for the lock instead of failing at once.</summary>
    internal static string PrepareSqlite(string connectionString)
    {
        var b = new SqliteConnectionStringBuilder(connectionString);
        if (b.DefaultTimeout < 30) b.DefaultTimeout = 30;
        b.Pooling = true;
        return b.ToString();
    }
}

/// <summary>
/// WAL lets readers run beside the one writer; busy_timeout makes a second writer wait.
/// Microsoft.Data.Sqlite opens write transactions with BEGIN IMMEDIATE, so two writers never deadlock.
/// </summary>
internal sealed class SqliteConnectionTuning : DbConnectionInterceptor
{
    public static readonly SqliteConnectionTuning Instance = new();

    public override void ConnectionOpened(System.Data.Common.DbConnection connection, ConnectionEndEventData eventData) =>
        Tune(connection);

    public override Task ConnectionOpenedAsync(System.Data.Common.DbConnection connection, ConnectionEndEventData eventData,
        CancellationToken cancellationToken = default)
    {
        Tune(connection);
        return Task.CompletedTask;
    }

    // A prepared hot command left on a connection that goes back to the pool keeps its statements open there, and the
    // next user of that pooled connection fails to close it ("unable to delete/modify collation sequence").
    public override InterceptionResult ConnectionClosing(System.Data.Common.DbConnection connection, ConnectionEventData eventData,
        InterceptionResult result)
    {
        (eventData.Context as BazaarDb)?.DisposeHotCommands();
        return result;
    }

    public override ValueTask<InterceptionResult> ConnectionClosingAsync(System.Data.Common.DbConnection connection,
        ConnectionEventData eventData, InterceptionResult result)
    {
        (eventData.Context as BazaarDb)?.DisposeHotCommands();
        return ValueTask.FromResult(result);
    }

    private static void Tune(System.Data.Common.DbConnection connection)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON;";
        cmd.ExecuteNonQuery();
    }
}

/// <summary>A setting that stops the server at start, reported as one line that names the key.</summary>
public sealed class StartupError(string message) : Exception(message);

using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Data;

/// <summary>
/// Applies pending migrations before the server takes traffic (hosted services start before Kestrel),
/// then runs the start-up seeds: the first operator, and demo data when asked for.
/// On PostgreSQL, several instances starting together take turns under a session advisory lock: the first migrates
/// and seeds, the others wait for it, then find nothing left to do.
/// </summary>
internal sealed class DatabaseMigrator(IServiceScopeFactory scopes, DatabaseOptions database, ILogger<DatabaseMigrator> log) : IHostedService
{
    public const string LockName = "bazaar.migrations";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var turn = database.Provider == DatabaseProvider.Postgres
            ? await SessionLock.AcquireAsync(database.ConnectionString, LockName, cancellationToken)
            : null;
        await MigrateAndSeedAsync(cancellationToken);
    }

    private async Task MigrateAndSeedAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        if (pending.Count > 0)
        {
            log.LogInformation("Applying {Count} migration(s) on {Provider}: {Names}",
                pending.Count, db.Database.ProviderName, string.Join(", ", pending));
        }
        await db.Database.MigrateAsync(cancellationToken);

        foreach (var seed in scope.ServiceProvider.GetServices<IStartupSeed>())
        {
            await seed.SeedAsync(db, cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Something a feature writes into the database at start-up, once the schema is current.</summary>
public interface IStartupSeed
{
    Task SeedAsync(BazaarDb db, CancellationToken ct);
}

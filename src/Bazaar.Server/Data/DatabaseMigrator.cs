using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Data;

/// <summary>
/// Applies pending migrations before the server takes traffic (hosted services start before Kestrel),
/// then runs the start-up seeds: the first operator, and demo data when asked for.
/// </summary>
internal sealed class DatabaseMigrator(IServiceScopeFactory scopes, ILogger<DatabaseMigrator> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
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

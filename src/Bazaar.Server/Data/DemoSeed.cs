namespace Bazaar.Server.Data;

public sealed class SeedOptions
{
    /// <summary>Seed demo data into an empty database. On by default in Development.</summary>
    public bool Demo { get; set; }
}

/// <summary>
/// A feature's share of the demo data (a catalog, a giveaway, a raffle). Each runs only when
/// Seed:Demo is on, and must itself check that its data is not there yet.
/// </summary>
public interface IDemoSeed
{
    Task SeedAsync(BazaarDb db, CancellationToken ct);
}

internal sealed class DemoData(IEnumerable<IDemoSeed> parts, Microsoft.Extensions.Options.IOptions<SeedOptions> options,
    ILogger<DemoData> log) : IStartupSeed
{
    public async Task SeedAsync(BazaarDb db, CancellationToken ct)
    {
        if (!options.Value.Demo) return;
        foreach (var part in parts)
        {
            await part.SeedAsync(db, ct);
            db.ChangeTracker.Clear();
        }
        log.LogInformation("Demo data is in place ({Count} part(s))", parts.Count());
    }
}

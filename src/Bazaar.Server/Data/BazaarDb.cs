using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Data;

/// <summary>
/// The one DbContext. Each feature adds its sets in a partial file inside its own folder and its
/// mapping as <see cref="IEntityTypeConfiguration{T}"/> classes, picked up from this assembly.
/// EF migrations are provider-specific, so each provider has a subclass that owns its migrations.
/// </summary>
public abstract partial class BazaarDb(DbContextOptions options) : DbContext(options)
{
    public DbSet<ChatUser> Users => Set<ChatUser>();

    public bool IsPostgres => Database.ProviderName == "Npgsql.EntityFrameworkCore.PostgreSQL";

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(BazaarDb).Assembly);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Times are stored as UTC DateTime on both providers.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
    }
}

public sealed class SqliteBazaarDb(DbContextOptions<SqliteBazaarDb> options) : BazaarDb(options);

public sealed class PostgresBazaarDb(DbContextOptions<PostgresBazaarDb> options) : BazaarDb(options);

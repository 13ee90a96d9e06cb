using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

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

    private Dictionary<string, DbCommand>? _hot;

    /// <summary>
    /// PostgreSQL, set by a transaction owner that commits right after its work (a sale): the balance changes of shared
    /// system accounts are held here and applied in the COMMIT's round trip by <see cref="SystemBalancesAtCommit"/>.
    /// Null otherwise, and then they are applied at once.
    /// </summary>
    internal List<(long AccountId, long Delta)>? DeferredSystemDeltas { get; set; }

    /// <summary>
    /// A command for hand-written SQL on the per-update hot path, kept for the life of this context (one batch of
    /// updates): SQLite prepares a command's statement once and reuses it, so a batch pays for the parse once instead
    /// of once per update. The parameters are created on the first call, in the order named; set them by index.
    /// It runs in the context's current transaction.
    /// </summary>
    public DbCommand HotCommand(string sql, params ReadOnlySpan<string> parameters)
    {
        _hot ??= new Dictionary<string, DbCommand>(StringComparer.Ordinal);
        if (!_hot.TryGetValue(sql, out var cmd))
        {
            cmd = Database.GetDbConnection().CreateCommand();
            cmd.CommandText = sql;
            foreach (var name in parameters)
            {
                var p = cmd.CreateParameter();
                p.ParameterName = name;
                p.Value = DBNull.Value;
                cmd.Parameters.Add(p);
            }
            _hot[sql] = cmd;
        }
        cmd.Transaction = Database.CurrentTransaction?.GetDbTransaction();
        return cmd;
    }

    public override void Dispose()
    {
        DisposeHotCommands();
        base.Dispose();
    }

    public override ValueTask DisposeAsync()
    {
        DisposeHotCommands();
        return base.DisposeAsync();
    }

    internal void DisposeHotCommands()
    {
        if (_hot is null) return;
        foreach (var cmd in _hot.Values) cmd.Dispose();
        _hot = null;
    }

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

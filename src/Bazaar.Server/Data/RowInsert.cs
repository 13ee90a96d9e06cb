using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Bazaar.Server.Data;

/// <summary>
/// An INSERT of one entity type built from the EF model (table, columns, value converters), run as a prepared
/// <see cref="BazaarDb.HotCommand"/>: for the per-update hot path, where SaveChanges' change-tracking and SQL
/// generation cost more than the write itself. The generated key comes back with RETURNING.
/// </summary>
public sealed class RowInsert
{
    private static readonly ConcurrentDictionary<(IModel, Type, bool), RowInsert> Cache = new();

    private readonly IProperty[] _columns;
    private readonly string[] _names;
    private readonly IProperty _key;
    public string Sql { get; }

    private RowInsert(IEntityType type, bool skipConflicts)
    {
        _key = type.FindPrimaryKey()!.Properties.Single();
        _columns = type.GetProperties().Where(p => p != _key).ToArray();
        _names = _columns.Select((_, i) => "@p" + i).ToArray();
        var table = type.GetTableName()!;
        var store = StoreObjectIdentifier.Table(table, type.GetSchema());
        var cols = string.Join(", ", _columns.Select(p => $"\"{p.GetColumnName(store)}\""));
        Sql = $"INSERT INTO \"{table}\" ({cols}) VALUES ({string.Join(", ", _names)}){(skipConflicts ? " ON CONFLICT DO NOTHING" : "")} RETURNING \"{_key.GetColumnName(store)}\"";
    }

    public static RowInsert For<T>(BazaarDb db) => For<T>(db, skipConflicts: false);

    /// <summary>
    /// With <paramref name="skipConflicts"/>, a row that a unique index refuses is not inserted (ON CONFLICT DO NOTHING,
    /// on both providers) and <see cref="TryInsertAsync"/> answers null, without an error that would abort a PostgreSQL
    /// transaction (so no savepoint is needed around it).
    /// </summary>
    public static RowInsert For<T>(BazaarDb db, bool skipConflicts) =>
        Cache.GetOrAdd((db.Model, typeof(T), skipConflicts), k => new RowInsert(k.Item1.FindEntityType(k.Item2)
            ?? throw new InvalidOperationException($"{k.Item2.Name} is not in the model"), k.Item3));

    /// <summary>Inserts <paramref name="entity"/> in the context's current transaction and returns its generated key.</summary>
    public async Task<long> InsertAsync(BazaarDb db, object entity, CancellationToken ct) =>
        await TryInsertAsync(db, entity, ct) ?? throw new InvalidOperationException("The row was not inserted.");

    /// <summary>Inserts <paramref name="entity"/> and returns its key, or null when a unique index refused it (skipConflicts only).</summary>
    public async Task<long?> TryInsertAsync(BazaarDb db, object entity, CancellationToken ct)
    {
        var cmd = db.HotCommand(Sql, _names);
        for (var i = 0; i < _columns.Length; i++)
        {
            var p = _columns[i];
            var value = p.GetGetter().GetClrValueUsingContainingEntity(entity);
            if (value is not null && p.GetTypeMapping().Converter is { } converter) value = converter.ConvertToProvider(value);
            cmd.Parameters[i].Value = value ?? DBNull.Value;
        }
        var key = await cmd.ExecuteScalarAsync(ct);
        return key is null or DBNull ? null : Convert.ToInt64(key);
    }
}

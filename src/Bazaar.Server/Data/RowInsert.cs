using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

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
    private readonly string _manySql;
    private readonly string _keysSql;
    public string Sql { get; }

    private RowInsert(IEntityType type, bool skipConflicts)
    {
        _key = type.FindPrimaryKey()!.Properties.Single();
        _columns = type.GetProperties().Where(p => p != _key).ToArray();
        _names = _columns.Select((_, i) => "@p" + i).ToArray();
        var table = type.GetTableName()!;
        var store = StoreObjectIdentifier.Table(table, type.GetSchema());
        var cols = string.Join(", ", _columns.Select(p => $"\"{p.GetColumnName(store)}\""));
        var key = _key.GetColumnName(store)!;
        Sql = $"INSERT INTO \"{table}\" ({cols}) VALUES ({string.Join(", ", _names)}){(skipConflicts ? " ON CONFLICT DO NOTHING" : "")} RETURNING \"{key}\"";
        // PostgreSQL, many rows: the keys are drawn from the key's sequence first, so each row's key is known without
        // relying on the order of RETURNING; the rows then go in as one INSERT from typed arrays (a cast per column
        // for store types that text does not assign to, such as jsonb).
        _keysSql = $"SELECT nextval(pg_get_serial_sequence('\"{table}\"', '{key}')) AS \"Value\" FROM generate_series(1, @n)";
        var casts = string.Join(", ", _columns.Select((p, i) => $"v.c{i}::{p.GetColumnType(store)}"));
        var vars = string.Join(", ", _columns.Select((_, i) => $"c{i}"));
        _manySql = $"INSERT INTO \"{table}\" (\"{key}\", {cols}) SELECT v.k, {casts} FROM unnest(@k, {string.Join(", ", _names)}) AS v(k, {vars})";
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

    /// <summary>
    /// Inserts every row in the context's current transaction and sets nothing on them: the keys come back in row order.
    /// PostgreSQL takes them in two round trips whatever their number; SQLite (in-process) one prepared INSERT each.
    /// </summary>
    public async Task<long[]> InsertManyAsync(BazaarDb db, IReadOnlyList<object> rows, CancellationToken ct)
    {
        var keys = new long[rows.Count];
        if (rows.Count == 0) return keys;
        if (!db.IsPostgres || rows.Count == 1)
        {
            for (var r = 0; r < rows.Count; r++) keys[r] = await InsertAsync(db, rows[r], ct);
            return keys;
        }
        var conn = (NpgsqlConnection)db.Database.GetDbConnection();
        var tx = (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction();
        await using (var next = new NpgsqlCommand(_keysSql, conn, tx))
        {
            next.Parameters.AddWithValue("n", rows.Count);
            await using var reader = await next.ExecuteReaderAsync(ct);
            for (var r = 0; await reader.ReadAsync(ct); r++) keys[r] = reader.GetInt64(0);
        }
        await using var insert = new NpgsqlCommand(_manySql, conn, tx);
        insert.Parameters.AddWithValue("k", keys);
        for (var i = 0; i < _columns.Length; i++)
        {
            var p = _columns[i];
            var converter = p.GetTypeMapping().Converter;
            var type = converter?.ProviderClrType ?? p.ClrType;
            type = Nullable.GetUnderlyingType(type) ?? type;
            var values = Array.CreateInstance(type.IsValueType ? typeof(Nullable<>).MakeGenericType(type) : type, rows.Count);
            for (var r = 0; r < rows.Count; r++)
            {
                var value = p.GetGetter().GetClrValueUsingContainingEntity(rows[r]);
                if (value is not null && converter is not null) value = converter.ConvertToProvider(value);
                values.SetValue(value, r);
            }
            insert.Parameters.AddWithValue(_names[i][1..], values);
        }
        await insert.ExecuteNonQueryAsync(ct);
        return keys;
    }
}

using Npgsql;

namespace Bazaar.Server.Data;

/// <summary>
/// A PostgreSQL session-level advisory lock on a connection of its own, outside the pool. PostgreSQL holds it while
/// that connection lives and releases it when the connection ends, so a process that dies (or loses the database)
/// gives it up without anyone cleaning up.
/// </summary>
public sealed class SessionLock : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;

    private SessionLock(NpgsqlConnection connection) => _connection = connection;

    /// <summary>The database backend that holds the lock (pg_locks.pid).</summary>
    public int BackendPid => _connection.ProcessID;

    /// <summary>Takes the lock if it is free; null when another session holds it.</summary>
    public static Task<SessionLock?> TryAcquireAsync(string connectionString, string name, CancellationToken ct) =>
        AcquireAsync(connectionString, name, wait: false, ct);

    /// <summary>Waits for the lock.</summary>
    public static async Task<SessionLock> AcquireAsync(string connectionString, string name, CancellationToken ct) =>
        (await AcquireAsync(connectionString, name, wait: true, ct))!;

    private static async Task<SessionLock?> AcquireAsync(string connectionString, string name, bool wait, CancellationToken ct)
    {
        // Unpooled: closing it must end the session, or the lock would live on in the pool.
        var b = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, CommandTimeout = 0, ApplicationName = "bazaar-lock" };
        var connection = new NpgsqlConnection(b.ToString());
        try
        {
            await connection.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand(wait ? "SELECT pg_advisory_lock(@k), true" : "SELECT true, pg_try_advisory_lock(@k)", connection);
            cmd.Parameters.AddWithValue("k", Key(name));
            await using var r = await cmd.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            if (r.GetBoolean(1)) return new SessionLock(connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
        await connection.DisposeAsync();
        return null;
    }

    /// <summary>True while the session (and so the lock) is alive; false once the connection broke.</summary>
    public async Task<bool> IsHeldAsync(CancellationToken ct)
    {
        try
        {
            await using var cmd = new NpgsqlCommand("SELECT 1", _connection);
            await cmd.ExecuteScalarAsync(ct);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    /// <summary>A stable 64-bit advisory lock key for a name (FNV-1a).</summary>
    public static long Key(string name)
    {
        var h = 14695981039346656037UL;
        foreach (var c in name)
        {
            h ^= c;
            h *= 1099511628211UL;
        }
        return unchecked((long)h);
    }
}

using System.Data.Common;
using System.Threading.Channels;
using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Conversations;

/// <summary>An update as a channel hands it over: its identity, what it is, and its JSON.</summary>
public sealed record InboundItem(string Channel, string BotId, long UpdateId, UpdateInfo Info, string Payload);

/// <summary>
/// The durable inbox with group commit. Every channel (webhook, polling, sandbox) hands its updates to
/// one writer, which inserts whatever has queued up in one transaction and completes each caller only
/// after the commit. A duplicate (channel, bot, update_id) is ignored by the unique index.
/// Not a job type: it is the write path in front of the database, and a job per update would be the
/// per-update write that group commit exists to avoid.
/// </summary>
public sealed class Inbox(IServiceScopeFactory scopes, WriteGate gate, UpdateProcessor processor, TimeProvider clock,
    ILogger<Inbox> log) : BackgroundService
{
    private const int MaxBatch = 1024;

    private sealed class Pending(InboundItem item) : TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public InboundItem Item { get; } = item;
    }

    private long _lastBusyAt = long.MinValue / 2;

    /// <summary>The webhook is busy: a recent commit carried several concurrent requests.</summary>
    public bool Busy => Environment.TickCount64 - Volatile.Read(ref _lastBusyAt) < 100;

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Completes once the update is committed: true when it is new, false for a duplicate.
    /// Throws when it could not be stored, so the caller answers 5xx and the channel re-delivers.</summary>
    public Task<bool> AcceptAsync(InboundItem item)
    {
        var p = new Pending(item);
        if (!_queue.Writer.TryWrite(p)) throw new InvalidOperationException("The inbox is shutting down.");
        return p.Task;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Pending>(64);
        // Drains until StopAsync completes the queue, so nothing accepted is dropped on shutdown.
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var p)) batch.Add(p);
            try
            {
                var inserted = await WriteAsync(batch, CancellationToken.None);
                for (var i = 0; i < batch.Count; i++) batch[i].TrySetResult(inserted[i]);
                // Several requests waited for one commit: the webhook is under load.
                if (batch.Count >= 4) Volatile.Write(ref _lastBusyAt, Environment.TickCount64);
                processor.Wake();
            }
            catch (Exception ex)
            {
                log.LogError(ex, "Could not store {Count} inbound update(s); the senders get 503 and retry", batch.Count);
                foreach (var p in batch) p.TrySetException(ex);
            }
            batch.Clear();
        }
    }

    // The writer keeps one open connection; it is replaced after a failure.
    private AsyncServiceScope? _scope;
    private BazaarDb? _db;

    private async Task<bool[]> WriteAsync(List<Pending> batch, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        using var _ = await gate.EnterAsync(ct);
        try
        {
            if (_db is null)
            {
                _scope = scopes.CreateAsyncScope();
                _db = _scope.Value.ServiceProvider.GetRequiredService<BazaarDb>();
                await _db.Database.OpenConnectionAsync(ct);
            }
            var conn = _db.Database.GetDbConnection();
            await using var tx = await conn.BeginTransactionAsync(ct);
            var inserted = _db.IsPostgres ? await InsertPostgres(conn, tx, batch, now, ct) : await InsertSqlite(conn, tx, batch, now, ct);
            await tx.CommitAsync(ct);
            return inserted;
        }
        catch
        {
            await ResetConnectionAsync();
            throw;
        }
    }

    private async Task ResetConnectionAsync()
    {
        _db = null;
        _sqliteInsert = null;
        if (_scope is { } s)
        {
            _scope = null;
            try { await s.DisposeAsync(); } catch (Exception ex) { log.LogDebug(ex, "Closing the inbox connection failed"); }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
        await ResetConnectionAsync();
    }

    private const string Columns = """
        "Channel", "BotId", "UpdateId", "Kind", "UserId", "ChatId", "Command", "Status", "Attempts", "ReceivedAt", "ProcessedAt", "Payload"
        """;

    private DbCommand? _sqliteInsert;

    private async Task<bool[]> InsertSqlite(DbConnection conn, DbTransaction tx, List<Pending> batch, DateTime now, CancellationToken ct)
    {
        var cmd = _sqliteInsert ??= PrepareSqliteInsert(conn);
        cmd.Transaction = tx;
        var ps = cmd.Parameters;
        ps[8].Value = now;
        var result = new bool[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var it = batch[i].Item;
            ps[0].Value = it.Channel;
            ps[1].Value = it.BotId;
            ps[2].Value = it.UpdateId;
            ps[3].Value = it.Info.Kind;
            ps[4].Value = (object?)it.Info.UserId ?? DBNull.Value;
            ps[5].Value = (object?)it.Info.ChatId ?? DBNull.Value;
            ps[6].Value = (object?)it.Info.Command ?? DBNull.Value;
            ps[7].Value = it.Info.Handled ? UpdateStatusText.Received : UpdateStatusText.Ignored;
            ps[9].Value = it.Payload;
            result[i] = await cmd.ExecuteNonQueryAsync(ct) == 1;
        }
        return result;
    }

    private static DbCommand PrepareSqliteInsert(DbConnection conn)
    {
        var cmd = conn.CreateCommand();
        cmd.CommandText = $"""
            INSERT INTO inbound_updates ({Columns})
            VALUES (@c, @b, @u, @k, @uid, @chat, @cmd, @s, 0, @at, CASE WHEN @s = 'ignored' THEN @at END, @p)
            ON CONFLICT DO NOTHING
            """;
        foreach (var name in (string[])["@c", "@b", "@u", "@k", "@uid", "@chat", "@cmd", "@s", "@at", "@p"])
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            cmd.Parameters.Add(p);
        }
        return cmd;
    }

    private static async Task<bool[]> InsertPostgres(DbConnection conn, DbTransaction tx, List<Pending> batch, DateTime now, CancellationToken ct)
    {
        var n = batch.Count;
        var c = new string[n]; var b = new string[n]; var u = new long[n]; var k = new string[n];
        var uid = new string?[n]; var chat = new string?[n]; var command = new string?[n]; var s = new string[n]; var p = new string[n];
        for (var i = 0; i < n; i++)
        {
            var it = batch[i].Item;
            c[i] = it.Channel; b[i] = it.BotId; u[i] = it.UpdateId; k[i] = it.Info.Kind;
            uid[i] = it.Info.UserId; chat[i] = it.Info.ChatId; command[i] = it.Info.Command;
            s[i] = it.Info.Handled ? UpdateStatusText.Received : UpdateStatusText.Ignored; p[i] = it.Payload;
        }
        await using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        // One statement for the whole batch; RETURNING names the rows that were new.
        cmd.CommandText = $"""
            INSERT INTO inbound_updates ({Columns})
            SELECT t.c, t.b, t.u, t.k, t.uid, t.chat, t.cmd, t.s, 0, @at, CASE WHEN t.s = 'ignored' THEN @at END, t.p
            FROM unnest(@c, @b, @u, @k, @uid, @chat, @cmd, @s, @p) AS t(c, b, u, k, uid, chat, cmd, s, p)
            ON CONFLICT DO NOTHING
            RETURNING "Channel", "BotId", "UpdateId"
            """;
        void Add(string name, object value)
        {
            var prm = cmd.CreateParameter();
            prm.ParameterName = name;
            prm.Value = value;
            cmd.Parameters.Add(prm);
        }
        Add("@c", c); Add("@b", b); Add("@u", u); Add("@k", k); Add("@uid", uid); Add("@chat", chat);
        Add("@cmd", command); Add("@s", s); Add("@p", p); Add("@at", now);
        var fresh = new HashSet<(string, string, long)>();
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) fresh.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        }
        var result = new bool[n];
        // A key sent twice in one batch counts as new once.
        for (var i = 0; i < n; i++) result[i] = fresh.Remove((c[i], b[i], u[i]));
        return result;
    }
}

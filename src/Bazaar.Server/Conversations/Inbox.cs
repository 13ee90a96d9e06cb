using System.Data.Common;
using System.Threading.Channels;
using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Telegram.Bot.Types;

namespace Bazaar.Server.Conversations;

/// <summary>An update as a channel hands it over: who it came through, the update parsed once, what it is, and its JSON.</summary>
public sealed record InboundItem(string Channel, string BotId, Update Update, UpdateInfo Info, string Payload)
{
    public long UpdateId => Update.Id;

    public static InboundItem Of(string channel, string botId, Update update, string payload) =>
        new(channel, botId, update, UpdateInfo.Of(update), payload);
}

/// <summary>
/// The durable inbox with group commit, and the first place updates are handled. Every channel (webhook, polling,
/// sandbox) hands its updates to a writer, which in one transaction inserts whatever has queued up and runs the new
/// updates through the pipeline (a savepoint each, <see cref="UpdateHandler"/>), then completes each caller after
/// the commit: the channel's 200 means the update and its effects (state, replies in the outbox) are durable.
/// A duplicate (channel, bot, update_id) is ignored by the unique index. An update whose chat still has an older
/// open update (queued or claimed, perhaps by another process) is only stored, and the processor takes it in order.
/// On PostgreSQL several writers run in parallel, each owning a share of the chats, so one chat is only ever
/// handled by one writer; on SQLite there is one writer, holding the process's write turn.
/// Not a job type: it is the write path in front of the database, and a job per update would be the
/// per-update write that group commit exists to avoid.
/// </summary>
public sealed class Inbox(IServiceScopeFactory scopes, WriteGate gate, UpdateHandler handler, UpdateProcessor processor, DatabaseOptions database,
    IOptions<ConversationOptions> options, TimeProvider clock, Operations.BazaarMetrics metrics, ILogger<Inbox> log) : BackgroundService
{
    private const int MaxBatch = 256;

    private sealed class Pending(InboundItem item) : TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public InboundItem Item { get; } = item;
    }

    private readonly Channel<Pending>[] _queues = Enumerable.Range(0, WritersFor(database, options.Value))
        .Select(_ => Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true })).ToArray();

    private static int WritersFor(DatabaseOptions database, ConversationOptions o) =>
        database.Provider == DatabaseProvider.Postgres ? Math.Max(1, o.Processor.Writers) : 1;

    /// <summary>Completes once the update is committed: true when it is new, false for a duplicate.
    /// Throws when it could not be stored, so the caller answers 5xx and the channel re-delivers.</summary>
    public Task<bool> AcceptAsync(InboundItem item)
    {
        var p = new Pending(item);
        // A chat always goes to the same writer, which keeps its updates in order.
        var key = HashCode.Combine(item.Channel, item.BotId, item.Info.ChatId ?? item.UpdateId.ToString());
        var queue = _queues[(int)((uint)key % (uint)_queues.Length)];
        if (!queue.Writer.TryWrite(p)) throw new InvalidOperationException("The inbox is shutting down.");
        return p.Task;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(_queues.Select(q => Task.Run(() => WriterLoopAsync(q))));

    private async Task WriterLoopAsync(Channel<Pending> queue)
    {
        var batch = new List<Pending>(64);
        // Drains until StopAsync completes the queue, so nothing accepted is dropped on shutdown.
        while (await queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < MaxBatch && queue.Reader.TryRead(out var p)) batch.Add(p);
            try
            {
                var handle = options.Value.Processor.Enabled;
                bool[] inserted;
                bool leftOpen;
                try
                {
                    (inserted, leftOpen) = await WriteAsync(batch, handle, CancellationToken.None);
                }
                catch (Exception ex) when (handle)
                {
                    // Something broke the whole transaction: store the updates alone, the processor handles them.
                    log.LogWarning(ex, "Storing and handling {Count} update(s) failed as a whole; storing them for the processor", batch.Count);
                    (inserted, leftOpen) = await WriteAsync(batch, handle: false, CancellationToken.None);
                }
                for (var i = 0; i < batch.Count; i++)
                {
                    // Updates nobody handles are stored as ignored; the handled ones are counted by the handler.
                    if (inserted[i] && !batch[i].Item.Info.Handled) metrics.UpdateFinished(batch[i].Item.Info.Kind, UpdateStatusText.Ignored);
                    batch[i].TrySetResult(inserted[i]);
                }
                if (leftOpen) processor.Wake();
            }
            catch (Exception ex)
            {
                log.LogError(ex, "Could not store {Count} inbound update(s); the senders get 503 and retry", batch.Count);
                foreach (var p in batch) p.TrySetException(ex);
            }
            batch.Clear();
        }
    }

    /// <summary>Stores the batch and, when <paramref name="handle"/>, handles what is new; says which were new and
    /// whether any was left open for the processor.</summary>
    private async Task<(bool[] Inserted, bool LeftOpen)> WriteAsync(List<Pending> batch, bool handle, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        db.Database.AutoSavepointsEnabled = false;
        using var turn = await gate.EnterAsync(ct);
        await using var etx = await db.Database.BeginTransactionAsync(ct);
        var tx = etx.GetDbTransaction();
        var ids = db.IsPostgres ? await InsertPostgres(tx, batch, now, ct) : await InsertSqlite(tx, batch, now, ct);
        var inserted = ids.Select(id => id is not null).ToArray();
        var leftOpen = false;
        var fresh = new List<PendingUpdate>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            var it = batch[i].Item;
            if (ids[i] is { } id && it.Info.Handled) fresh.Add(new PendingUpdate(id, it.Channel, it.BotId, it.UpdateId, it.Update, it.Info, it.Payload, now));
        }
        if (!handle) leftOpen = fresh.Count > 0;
        else if (fresh.Count > 0)
        {
            var waiting = await ChatsWithOpenUpdatesAsync(tx, db.IsPostgres, fresh, ct);
            var now2 = fresh.Where(u => !waiting.Contains((u.Channel, u.BotId, u.Info!.Value.ChatId))).OrderBy(u => u.UpdateId).ToList();
            leftOpen = now2.Count < fresh.Count;
            var outcomes = await handler.HandleAsync(scope.ServiceProvider, db, tx, now2, stop: null, ct);
            await handler.SetStatusesAsync(tx, db.IsPostgres, outcomes, attempt: 1, ct);
        }
        await etx.CommitAsync(ct);
        return (inserted, leftOpen);
    }

    /// <summary>The chats of <paramref name="fresh"/> that already had an open update before this batch: those wait their turn.</summary>
    private static async Task<HashSet<(string, string, string?)>> ChatsWithOpenUpdatesAsync(DbTransaction tx, bool postgres,
        List<PendingUpdate> fresh, CancellationToken ct)
    {
        var result = new HashSet<(string, string, string?)>();
        await using var cmd = tx.Connection!.CreateCommand();
        cmd.Transaction = tx;
        if (postgres)
        {
            cmd.CommandText = $"""
                SELECT DISTINCT t.c, t.b, t.chat FROM unnest(@c, @b, @chat) AS t(c, b, chat)
                WHERE EXISTS (SELECT 1 FROM inbound_updates j
                  WHERE j."Channel" = t.c AND j."BotId" = t.b AND j."ChatId" = t.chat
                    AND j."Status" IN ('{UpdateStatusText.Received}', '{UpdateStatusText.Processing}') AND NOT (j."Id" = ANY(@ids)))
                """;
            SqlParams.Add(cmd, "@c", fresh.Select(u => u.Channel).ToArray());
            SqlParams.Add(cmd, "@b", fresh.Select(u => u.BotId).ToArray());
            SqlParams.Add(cmd, "@chat", fresh.Select(u => u.Info!.Value.ChatId).ToArray());
            SqlParams.Add(cmd, "@ids", fresh.Select(u => u.Id).ToArray());
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) result.Add((r.GetString(0), r.GetString(1), r.GetString(2)));
            return result;
        }
        // SQLite has one writer, so everything stored before this batch has a smaller id than all of it.
        cmd.CommandText = $"""
            SELECT EXISTS (SELECT 1 FROM inbound_updates
              WHERE "Channel" = @c AND "BotId" = @b AND "ChatId" = @chat
                AND "Status" IN ('{UpdateStatusText.Received}', '{UpdateStatusText.Processing}') AND "Id" < @first)
            """;
        SqlParams.Add(cmd, "@c", null);
        SqlParams.Add(cmd, "@b", null);
        SqlParams.Add(cmd, "@chat", null);
        SqlParams.Add(cmd, "@first", fresh.Min(u => u.Id));
        foreach (var u in fresh)
        {
            var key = (u.Channel, u.BotId, u.Info!.Value.ChatId);
            if (result.Contains(key)) continue;
            cmd.Parameters["@c"].Value = u.Channel;
            cmd.Parameters["@b"].Value = u.BotId;
            cmd.Parameters["@chat"].Value = (object?)key.ChatId ?? DBNull.Value;
            if (Convert.ToInt64(await cmd.ExecuteScalarAsync(ct)) != 0) result.Add(key);
        }
        return result;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var q in _queues) q.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    private const string Columns = """
        "Channel", "BotId", "UpdateId", "Kind", "UserId", "ChatId", "Command", "Status", "Attempts", "ReceivedAt", "ProcessedAt", "Error", "Payload"
        """;

    private static async Task<long?[]> InsertSqlite(DbTransaction tx, List<Pending> batch, DateTime now, CancellationToken ct)
    {
        await using var cmd = tx.Connection!.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"""
            INSERT INTO inbound_updates ({Columns})
            VALUES (@c, @b, @u, @k, @uid, @chat, @cmd, @s, 0, @at, CASE WHEN @s = '{UpdateStatusText.Ignored}' THEN @at END, @e, @p)
            ON CONFLICT DO NOTHING
            RETURNING "Id"
            """;
        foreach (var name in (string[])["@c", "@b", "@u", "@k", "@uid", "@chat", "@cmd", "@s", "@at", "@e", "@p"]) SqlParams.Add(cmd, name, null);
        var ps = cmd.Parameters;
        ps["@at"].Value = now;
        var result = new long?[batch.Count];
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
            ps[9].Value = (object?)it.Info.Problem ?? DBNull.Value;
            ps[10].Value = it.Payload;
            result[i] = await cmd.ExecuteScalarAsync(ct) is { } id and not DBNull ? Convert.ToInt64(id) : null;
        }
        return result;
    }

    private static async Task<long?[]> InsertPostgres(DbTransaction tx, List<Pending> batch, DateTime now, CancellationToken ct)
    {
        var n = batch.Count;
        var c = new string[n]; var b = new string[n]; var u = new long[n]; var k = new string[n]; var e = new string?[n];
        var uid = new string?[n]; var chat = new string?[n]; var command = new string?[n]; var s = new string[n]; var p = new string[n];
        for (var i = 0; i < n; i++)
        {
            var it = batch[i].Item;
            c[i] = it.Channel; b[i] = it.BotId; u[i] = it.UpdateId; k[i] = it.Info.Kind; e[i] = it.Info.Problem;
            uid[i] = it.Info.UserId; chat[i] = it.Info.ChatId; command[i] = it.Info.Command;
            s[i] = it.Info.Handled ? UpdateStatusText.Received : UpdateStatusText.Ignored; p[i] = it.Payload;
        }
        await using var cmd = tx.Connection!.CreateCommand();
        cmd.Transaction = tx;
        // One statement for the whole batch; RETURNING names the rows that were new.
        cmd.CommandText = $"""
            INSERT INTO inbound_updates ({Columns})
            SELECT t.c, t.b, t.u, t.k, t.uid, t.chat, t.cmd, t.s, 0, @at, CASE WHEN t.s = '{UpdateStatusText.Ignored}' THEN @at END, t.e, t.p
            FROM unnest(@c, @b, @u, @k, @uid, @chat, @cmd, @s, @e, @p) AS t(c, b, u, k, uid, chat, cmd, s, e, p)
            ON CONFLICT DO NOTHING
            RETURNING "Id", "Channel", "BotId", "UpdateId"
            """;
        SqlParams.Add(cmd, "@c", c); SqlParams.Add(cmd, "@b", b); SqlParams.Add(cmd, "@u", u); SqlParams.Add(cmd, "@k", k);
        SqlParams.Add(cmd, "@uid", uid); SqlParams.Add(cmd, "@chat", chat); SqlParams.Add(cmd, "@cmd", command);
        SqlParams.Add(cmd, "@s", s); SqlParams.Add(cmd, "@e", e); SqlParams.Add(cmd, "@p", p); SqlParams.Add(cmd, "@at", now);
        var fresh = new Dictionary<(string, string, long), long>();
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) fresh[(reader.GetString(1), reader.GetString(2), reader.GetInt64(3))] = reader.GetInt64(0);
        }
        var result = new long?[n];
        // A key sent twice in one batch counts as new once.
        for (var i = 0; i < n; i++) result[i] = fresh.Remove((c[i], b[i], u[i]), out var id) ? id : null;
        return result;
    }
}

using System.Data.Common;
using System.Diagnostics;
using System.Text.Json;
using Bazaar.Server.Channels;
using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Telegram.Bot;
using Telegram.Bot.Types;

namespace Bazaar.Server.Conversations;

/// <summary>
/// Works through the inbox. A batch is claimed in one committed statement (marked processing): only a chat's
/// oldest open update, so a chat's updates run one at a time and in update_id order, while different chats run
/// in parallel across workers (SKIP LOCKED on PostgreSQL, the single writer on SQLite). The claimed updates then
/// run in as few transactions as possible with a savepoint each: an update's state changes, outbox rows and final
/// status commit together, and a handler that throws is rolled back to its savepoint and marked failed. Updates
/// left claimed by a stopped process are taken back at start-up (one server process per database).
/// Not a job type: the inbox is a queue of its own with per-chat order and batched claims, and a reply must not
/// wait for a job claim. The event log's clean-up is a job (EventLogCleanupJob).
/// </summary>
public sealed class UpdateProcessor(IServiceProvider services, IServiceScopeFactory scopes, WriteGate gate, BotPipeline pipeline, DatabaseOptions database,
    IOptions<ConversationOptions> options, TimeProvider clock, ILogger<UpdateProcessor> log) : BackgroundService
{
    private readonly SemaphoreSlim _wake = new(0, 1);
    private TaskCompletionSource _batchDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Inbox? _inbox;

    /// <summary>New work is there (called by the inbox after a commit and by retries).</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            try { _wake.Release(); } catch (SemaphoreFullException) { }
        }
    }

    /// <summary>Completes when the next batch has finished (anyone's).</summary>
    public Task NextBatchAsync() => Volatile.Read(ref _batchDone).Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value.Processor;
        if (!o.Enabled) return;
        var workers = o.Workers ?? (database.Provider == DatabaseProvider.Postgres ? 4 : 1);
        await Task.WhenAll(Enumerable.Range(0, Math.Max(1, workers)).Select(_ => Task.Run(() => LoopAsync(stoppingToken), stoppingToken)));
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var started = Stopwatch.GetTimestamp();
                var n = await RunOnceAsync(ct);
                failures = 0;
                // While the webhook is saturated, answering Telegram comes first: the backlog is durable and is worked
                // off as soon as the load drops, so the processor takes only a share of the CPU.
                if (n > 0 && options.Value.Processor.BusyShare is > 0 and < 1 && (_inbox ??= services.GetRequiredService<Inbox>()).Busy)
                {
                    var worked = Stopwatch.GetElapsedTime(started);
                    await Task.Delay(worked * ((1 - options.Value.Processor.BusyShare) / options.Value.Processor.BusyShare), clock, ct);
                }
                if (n == 0)
                {
                    using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    await Task.WhenAny(_wake.WaitAsync(idle.Token), Task.Delay(TimeSpan.FromSeconds(1), clock, idle.Token));
                    idle.Cancel();
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception ex)
            {
                failures++;
                log.LogError(ex, "The update processor failed; backing off");
                try { await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, 1 << Math.Min(failures, 5))), clock, ct); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    /// <summary>Claims and processes one batch; returns how many updates it handled (0 when idle).</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        try
        {
            var claimed = await ClaimAsync(options.Value.Processor.BatchSize, ct);
            for (var i = 0; i < claimed.Count;) i += await ProcessChunkAsync(claimed, i, int.MaxValue, ct);
            return claimed.Count;
        }
        finally
        {
            Interlocked.Exchange(ref _batchDone, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Claimed by a process that stopped before finishing them: nothing of theirs was committed, so run them again.
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
            var n = await db.InboundUpdates.Where(u => u.Status == UpdateStatus.Processing)
                .ExecuteUpdateAsync(s => s.SetProperty(u => u.Status, UpdateStatus.Received), cancellationToken);
            if (n > 0) log.LogInformation("Resuming {Count} update(s) that were in progress at the last stop", n);
        }
        await base.StartAsync(cancellationToken);
    }

    private sealed record Claimed(long Id, string Channel, string BotId, long UpdateId, string Payload);
    private sealed record Outcome(UpdateStatus Status, int Ms, string? Error, string? UserId, string? ChatId);

    /// <summary>
    /// Handles claimed updates from <paramref name="start"/> in one transaction, at least one and at most
    /// <paramref name="max"/>; returns how many. On SQLite it commits early when the inbox writer is waiting.
    /// </summary>
    private async Task<int> ProcessChunkAsync(List<Claimed> claimed, int start, int max, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        db.Database.AutoSavepointsEnabled = false;
        var handled = 0;
        Exception? failure;
        using (await gate.EnterAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var conn = db.Database.GetDbConnection();
            var began = Stopwatch.GetTimestamp();
            var hold = TimeSpan.FromMilliseconds(options.Value.Processor.MaxHoldMs);
            var outcomes = new List<(long Id, Outcome Outcome)>();
            try
            {
                var savepoint = false;
                for (var i = start; i < claimed.Count && handled < max; i++, handled++)
                {
                    if (handled > 0 && gate.Contended && Stopwatch.GetElapsedTime(began) >= hold) break;
                    var outcome = await ProcessOneAsync(scope.ServiceProvider, db, tx.GetDbTransaction(), claimed[i], savepoint, ct);
                    savepoint = true;
                    outcomes.Add((claimed[i].Id, outcome));
                }
                await SetStatusesAsync(conn, tx.GetDbTransaction(), db.IsPostgres, outcomes, ct);
                await tx.CommitAsync(ct);
                return handled;
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                failure = ex;
                try { await tx.RollbackAsync(ct); } catch (Exception rollback) { log.LogDebug(rollback, "Rollback failed"); }
            }
        }
        if (max > 1)
        {
            log.LogWarning(failure, "A transaction of {Count} update(s) failed as a whole; handling them one by one", handled + 1);
            return await ProcessChunkAsync(claimed, start, 1, ct);
        }
        await MarkFailedAsync(claimed[start].Id, failure, ct);
        return 1;
    }

    /// <summary>
    /// Runs one update inside the batch transaction. The batch's scope and DbContext are reused (creating them per update
    /// costs more than most handlers); the change tracker starts empty for every update.
    /// </summary>
    private async Task<Outcome> ProcessOneAsync(IServiceProvider services, BazaarDb db, DbTransaction tx, Claimed c, bool releasePrevious,
        CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        db.ChangeTracker.Clear();
        // The previous update's savepoint is released together with this one's creation: one round trip.
        await ExecuteAsync(tx, releasePrevious ? "RELEASE SAVEPOINT u; SAVEPOINT u" : "SAVEPOINT u", ct);
        Update? update;
        try { update = JsonSerializer.Deserialize<Update>(c.Payload, JsonBotAPI.Options); }
        catch (JsonException ex) { return new Outcome(UpdateStatus.Failed, 0, "Unreadable payload: " + ex.Message, null, null); }
        if (update is null) return new Outcome(UpdateStatus.Failed, 0, "Empty payload", null, null);

        try
        {
            var outbox = services.GetRequiredService<Outbox>();
            outbox.CurrentInboundUpdateId = c.Id;
            var ctx = new BotContext(c.Channel, c.Id, update, UpdateInfo.Of(update), db, outbox, services, clock, options.Value, ct);
            await pipeline.RunAsync(ctx);
            await db.SaveChangesAsync(ct);
            return new Outcome(ctx.Status, ElapsedMs(started), null, ctx.Info.UserId, ctx.Info.ChatId);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            await ExecuteAsync(tx, "ROLLBACK TO SAVEPOINT u", ct);
            db.ChangeTracker.Clear();
            log.LogWarning(ex, "Update {Id} ({Channel} {UpdateId}) failed", c.Id, c.Channel, c.UpdateId);
            return new Outcome(UpdateStatus.Failed, ElapsedMs(started), Truncate(ex.ToString(), 2000), null, null);
        }
    }

    private static int ElapsedMs(long started) => (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds;

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];

    /// <summary>Marks a batch as processing in one statement, committed at once, and returns it in inbox order.</summary>
    private async Task<List<Claimed>> ClaimAsync(int limit, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        using var _ = await gate.EnterAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        var postgres = db.IsPostgres;
        await using var cmd = db.Database.GetDbConnection().CreateCommand();
        // The chat's oldest open update only: nothing of the same chat may be waiting before it or in progress.
        cmd.CommandText = $"""
            UPDATE inbound_updates SET "Status" = 'processing', "Attempts" = "Attempts" + 1
            WHERE "Id" IN (
              SELECT i."Id" FROM inbound_updates i
              WHERE i."Status" = 'received'
                AND NOT EXISTS (
                  SELECT 1 FROM inbound_updates j
                  WHERE j."Channel" = i."Channel" AND j."BotId" = i."BotId" AND j."ChatId" = i."ChatId" AND j."Id" <> i."Id"
                    AND j."Status" IN ('received', 'processing')
                    AND (j."Status" = 'processing' OR j."UpdateId" < i."UpdateId"))
              ORDER BY i."Id"
              LIMIT @n {(postgres ? "FOR UPDATE SKIP LOCKED" : "")})
            RETURNING "Id", "Channel", "BotId", "UpdateId", "Payload"
            """;
        AddParam(cmd, "@n", limit);
        var list = new List<Claimed>();
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct)) list.Add(new Claimed(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetString(4)));
        }
        list.Sort((a, b) => a.Id.CompareTo(b.Id));
        return list;
    }

    private static async Task ExecuteAsync(DbTransaction tx, string sql, CancellationToken ct)
    {
        await using var cmd = tx.Connection!.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The final status of every update of the chunk, in the chunk's transaction (one statement on PostgreSQL).</summary>
    private async Task SetStatusesAsync(DbConnection conn, DbTransaction tx, bool postgres, List<(long Id, Outcome Outcome)> outcomes,
        CancellationToken ct)
    {
        if (outcomes.Count == 0) return;
        await using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        AddParam(cmd, "@at", clock.GetUtcNow().UtcDateTime);
        if (postgres)
        {
            cmd.CommandText = """
                UPDATE inbound_updates AS u SET "Status" = t.s, "HandlerMs" = t.ms, "Error" = t.e, "ProcessedAt" = @at
                FROM unnest(@ids, @s, @ms, @e) AS t(id, s, ms, e) WHERE u."Id" = t.id
                """;
            AddParam(cmd, "@ids", outcomes.Select(o => o.Id).ToArray());
            AddParam(cmd, "@s", outcomes.Select(o => UpdateStatusText.Of(o.Outcome.Status)).ToArray());
            AddParam(cmd, "@ms", outcomes.Select(o => o.Outcome.Ms).ToArray());
            AddParam(cmd, "@e", outcomes.Select(o => o.Outcome.Error).ToArray());
            await cmd.ExecuteNonQueryAsync(ct);
            return;
        }
        cmd.CommandText = """
            UPDATE inbound_updates SET "Status" = @s, "HandlerMs" = @ms, "Error" = @e, "ProcessedAt" = @at WHERE "Id" = @id
            """;
        AddParam(cmd, "@s", null);
        AddParam(cmd, "@ms", null);
        AddParam(cmd, "@e", null);
        AddParam(cmd, "@id", null);
        foreach (var (id, o) in outcomes)
        {
            cmd.Parameters["@s"].Value = UpdateStatusText.Of(o.Status);
            cmd.Parameters["@ms"].Value = o.Ms;
            cmd.Parameters["@e"].Value = (object?)o.Error ?? DBNull.Value;
            cmd.Parameters["@id"].Value = id;
            await cmd.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>The separate write after a failed transaction: nothing of the handler is kept, the update can be retried.</summary>
    private async Task MarkFailedAsync(long id, Exception ex, CancellationToken ct)
    {
        log.LogWarning(ex, "Update {Id} failed in its transaction", id);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        var now = clock.GetUtcNow().UtcDateTime;
        var error = Truncate(ex.ToString(), 2000);
        using (await gate.EnterAsync(ct))
        {
            await db.InboundUpdates.Where(u => u.Id == id)
                .ExecuteUpdateAsync(s => s.SetProperty(u => u.Status, UpdateStatus.Failed).SetProperty(u => u.Error, error)
                    .SetProperty(u => u.ProcessedAt, now).SetProperty(u => u.Attempts, u => u.Attempts + 1), ct);
        }
    }

    internal static void AddParam(DbCommand cmd, string name, object? value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value ?? DBNull.Value;
        cmd.Parameters.Add(p);
    }
}

using System.Data.Common;
using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Conversations;

/// <summary>
/// Works off what the inbox writer did not handle as it stored it: updates queued behind an older open update of
/// their chat, updates stored while handling was switched off or failed as a whole, and updates whose claim lapsed.
/// A batch is claimed in one committed statement (marked processing with a lease): only a chat's oldest open update,
/// so a chat's updates run one at a time and in update_id order, while different chats run in parallel (SKIP LOCKED
/// on PostgreSQL, the single writer on SQLite). A claim whose lease ran out (its process stopped) is claimed again,
/// so several processes can share one database. The claimed updates then run in as few transactions as possible
/// with a savepoint each (<see cref="UpdateHandler"/>).
/// Not a job type: the inbox is a queue of its own with per-chat order and batched claims, and a reply must not
/// wait for a job claim. The event log's clean-up is a job (EventLogCleanupJob).
/// </summary>
public sealed class UpdateProcessor(IServiceScopeFactory scopes, WriteGate gate, UpdateHandler handler, DatabaseOptions database,
    IOptions<ConversationOptions> options, TimeProvider clock, ILogger<UpdateProcessor> log) : BackgroundService
{
    private readonly SemaphoreSlim _wake = new(0, 1);
    /// <summary>Cancels updates in flight once the host's shutdown timeout runs out; until then they finish.</summary>
    private readonly CancellationTokenSource _abort = new();
    private TaskCompletionSource _batchDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>New work is there (called by the inbox after a commit that left updates open, and by retries).</summary>
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
        var workers = o.Workers ?? (database.Provider == DatabaseProvider.Postgres ? 2 : 1);
        await Task.WhenAll(Enumerable.Range(0, Math.Max(1, workers)).Select(_ => Task.Run(() => LoopAsync(stoppingToken), stoppingToken)));
    }

    /// <summary>
    /// Graceful stop: no new claims, the update in flight finishes, the rest of each claimed batch is handed back at
    /// once (another instance takes it without waiting for the lease), and only the host's shutdown timeout cancels.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await using var abort = cancellationToken.Register(() => _abort.Cancel());
        await base.StopAsync(cancellationToken);
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var n = await RunOnceAsync(ct, _abort.Token);
                failures = 0;
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
    public Task<int> RunOnceAsync(CancellationToken ct) => RunOnceAsync(CancellationToken.None, ct);

    /// <summary>
    /// As above; once <paramref name="stopping"/> is cancelled it claims nothing, finishes the update in flight and hands
    /// the rest of the batch back. <paramref name="ct"/> cancels the handling itself.
    /// </summary>
    public async Task<int> RunOnceAsync(CancellationToken stopping, CancellationToken ct)
    {
        try
        {
            if (stopping.IsCancellationRequested) return 0;
            // The claim itself is not cancelled by stopping: a claim cut off after its commit would hold its batch until the lease ran out.
            var claimed = await ClaimAsync(options.Value.Processor.BatchSize, ct);
            var done = 0;
            while (done < claimed.Count)
            {
                if (stopping.IsCancellationRequested)
                {
                    await HandBackAsync(claimed.Skip(done).Select(u => u.Id).ToList(), ct);
                    break;
                }
                done += await ProcessChunkAsync(claimed, done, int.MaxValue, stopping, ct);
            }
            return done;
        }
        finally
        {
            Interlocked.Exchange(ref _batchDone, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }

    /// <summary>
    /// Handles claimed updates from <paramref name="start"/> in one transaction, at least one and at most
    /// <paramref name="max"/>; returns how many. On SQLite it commits early when the inbox writer is waiting.
    /// </summary>
    private async Task<int> ProcessChunkAsync(List<PendingUpdate> claimed, int start, int max, CancellationToken stopping, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        db.Database.AutoSavepointsEnabled = false;
        var count = Math.Min(max, claimed.Count - start);
        Exception? failure;
        using (var turn = await gate.EnterAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var began = clock.GetTimestamp();
            var hold = TimeSpan.FromMilliseconds(options.Value.Processor.MaxHoldMs);
            try
            {
                var outcomes = await handler.HandleAsync(scope.ServiceProvider, db, tx.GetDbTransaction(), claimed.GetRange(start, count),
                    () => stopping.IsCancellationRequested || (gate.Contended && clock.GetElapsedTime(began) >= hold), ct);
                await handler.SetStatusesAsync(tx.GetDbTransaction(), db.IsPostgres, outcomes, attempt: 0, ct);
                await tx.CommitAsync(ct);
                return outcomes.Count;
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                failure = ex;
                try { await tx.RollbackAsync(ct); } catch (Exception rollback) { log.LogDebug(rollback, "Rollback failed"); }
            }
        }
        if (count > 1)
        {
            log.LogWarning(failure, "A transaction of up to {Count} update(s) failed as a whole; handling them one by one", count);
            return await ProcessChunkAsync(claimed, start, 1, stopping, ct);
        }
        await MarkFailedAsync(claimed[start].Id, failure, ct);
        return 1;
    }

    /// <summary>How long a claim holds before another worker or process may take the update again.</summary>
    private TimeSpan Lease => TimeSpan.FromSeconds(Math.Max(1, options.Value.Processor.LeaseSeconds));

    /// <summary>
    /// Marks a batch as processing with a lease, in one statement committed at once, and returns it in inbox order.
    /// A processing update whose lease has run out belongs to a worker that stopped: nothing of it was committed, so it
    /// is claimed again (the claim counts the attempt).
    /// </summary>
    private async Task<List<PendingUpdate>> ClaimAsync(int limit, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        using var _ = await gate.EnterAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        var postgres = db.IsPostgres;
        var now = clock.GetUtcNow().UtcDateTime;
        await using var cmd = db.Database.GetDbConnection().CreateCommand();
        // The chat's oldest open update only: nothing of the same chat may be waiting before it or be held by a live claim.
        cmd.CommandText = $"""
            UPDATE inbound_updates SET "Status" = '{UpdateStatusText.Processing}', "Attempts" = "Attempts" + 1, "LeaseUntil" = @lease
            WHERE "Id" IN (
              SELECT i."Id" FROM inbound_updates i
              WHERE (i."Status" = '{UpdateStatusText.Received}' OR (i."Status" = '{UpdateStatusText.Processing}' AND (i."LeaseUntil" IS NULL OR i."LeaseUntil" < @now)))
                AND NOT EXISTS (
                  SELECT 1 FROM inbound_updates j
                  WHERE j."Channel" = i."Channel" AND j."BotId" = i."BotId" AND j."ChatId" = i."ChatId" AND j."Id" <> i."Id"
                    AND j."Status" IN ('{UpdateStatusText.Received}', '{UpdateStatusText.Processing}')
                    AND ((j."Status" = '{UpdateStatusText.Processing}' AND j."LeaseUntil" >= @now) OR j."UpdateId" < i."UpdateId"))
              ORDER BY i."Id"
              LIMIT @n {(postgres ? "FOR UPDATE SKIP LOCKED" : "")})
            RETURNING "Id", "Channel", "BotId", "UpdateId", "Payload", "ReceivedAt"
            """;
        SqlParams.Add(cmd, "@n", limit);
        SqlParams.Add(cmd, "@now", now);
        SqlParams.Add(cmd, "@lease", now + Lease);
        var list = new List<PendingUpdate>();
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
                list.Add(new PendingUpdate(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt64(3), null, null, r.GetString(4), r.GetDateTime(5)));
        }
        list.Sort((a, b) => a.Id.CompareTo(b.Id));
        return list;
    }

    /// <summary>
    /// Gives claimed updates that were never started back to the queue (at shutdown): received again, the attempt not
    /// counted, claimable by any instance at once. Only while the claim is still live, so never one another worker took over.
    /// </summary>
    private async Task HandBackAsync(List<long> ids, CancellationToken ct)
    {
        if (ids.Count == 0) return;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        var now = clock.GetUtcNow().UtcDateTime;
        int n;
        using (await gate.EnterAsync(ct))
        {
            n = await db.InboundUpdates.Where(u => ids.Contains(u.Id) && u.Status == UpdateStatus.Processing && u.LeaseUntil >= now)
                .ExecuteUpdateAsync(s => s.SetProperty(u => u.Status, UpdateStatus.Received).SetProperty(u => u.LeaseUntil, (DateTime?)null)
                    .SetProperty(u => u.Attempts, u => u.Attempts > 0 ? u.Attempts - 1 : 0), ct);
        }
        log.LogInformation("Stopping: handed back {Count} claimed update(s) not yet started", n);
    }

    /// <summary>
    /// The separate write after a failed transaction: nothing of the handler is kept, the update can be retried.
    /// The attempt was counted by the claim.
    /// </summary>
    private async Task MarkFailedAsync(long id, Exception ex, CancellationToken ct)
    {
        log.LogWarning(ex, "Update {Id} failed in its transaction", id);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        var now = clock.GetUtcNow().UtcDateTime;
        var error = UpdateHandler.Truncate(ex.ToString(), 2000);
        using (await gate.EnterAsync(ct))
        {
            await db.InboundUpdates.Where(u => u.Id == id)
                .ExecuteUpdateAsync(s => s.SetProperty(u => u.Status, UpdateStatus.Failed).SetProperty(u => u.Error, error)
                    .SetProperty(u => u.ProcessedAt, now).SetProperty(u => u.LeaseUntil, (DateTime?)null), ct);
        }
    }
}

using Bazaar.Server.Channels;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Checks;

public sealed class ChecksOptions
{
    /// <summary>"Checks:Instagram".</summary>
    public InstagramOptions Instagram { get; set; } = new();
    public ExportLimits Export { get; set; } = new();

    public sealed class InstagramOptions
    {
        /// <summary>The operator's Instagram session cookie (<c>sessionid</c>); the live source is on only when it is set.</summary>
        public string? SessionId { get; set; }
        /// <summary>Sent as the <c>ds_user_id</c> cookie when set (the session's own account id).</summary>
        public string? DsUserId { get; set; }
        /// <summary>Sent as the <c>csrftoken</c> cookie and the X-CSRFToken header when set.</summary>
        public string? CsrfToken { get; set; }
        public string BaseUrl { get; set; } = "https://www.instagram.com";
        /// <summary>The X-IG-App-ID Instagram's web app sends; the web API refuses requests without it.</summary>
        public string AppId { get; set; } = "936619743392459";
        public string UserAgent { get; set; } = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        /// <summary>Accounts asked per GraphQL page (Instagram serves at most 50).</summary>
        public int PageSize { get; set; } = 50;
        /// <summary>The pause between two requests of one check, so the session is not flagged.</summary>
        public double PageDelaySeconds { get; set; } = 3;
        /// <summary>How many times one request is asked again after a rate limit before the attempt gives up.</summary>
        public int RateLimitRetries { get; set; } = 4;
        /// <summary>The first wait after a rate limit (doubling each time), unless Instagram sends Retry-After.</summary>
        public double RateLimitBackoffSeconds { get; set; } = 60;
        public double RateLimitMaxBackoffSeconds { get; set; } = 900;
        /// <summary>Followers and following together above which an account is not read live (the export has no limit).</summary>
        public int MaxAccounts { get; set; } = 20_000;

        public bool LiveEnabled => !string.IsNullOrWhiteSpace(SessionId);
    }
}

public sealed record StartResult(Check? Check, int? Position, string? Error)
{
    public bool Ok => Check is not null;
}

/// <summary>
/// Starting and cancelling checks. Starting inserts the check, spends one credit and queues its job in one
/// transaction (the caller's, as a savepoint, or one of its own): with no credit left nothing of it stays.
/// </summary>
public sealed class CheckQueue(BazaarDb db, CheckCredits credits, JobQueue jobs, WriteGate gate, TimeProvider clock)
{
    public const string NoCredits = "no_credits";
    public static string JobKey(long checkId) => $"check:{checkId}";

    public Task<StartResult> StartAsync(long userId, ChatTarget notify, CheckSource source, string? target, string? fileId, string? fileName,
        long? fileSize, CancellationToken ct) =>
        InTransactionAsync(async () =>
        {
            var now = clock.GetUtcNow().UtcDateTime;
            var check = new Check
            {
                UserId = userId, Channel = notify.Channel, ChatId = notify.ChatId, Source = source, Target = target, FileId = fileId,
                FileName = fileName, FileSize = fileSize, CreatedAt = now,
            };
            db.Checks.Add(check);
            await db.SaveChangesAsync(ct);
            var spent = await credits.SpendAsync(userId, check.Id, ct);
            if (!spent.Ok) return (new StartResult(null, null, NoCredits), false);
            var job = jobs.Enqueue(CheckJob.JobType, new CheckJob.Payload(check.Id), new EnqueueOptions { IdempotencyKey = JobKey(check.Id) });
            await db.SaveChangesAsync(ct);
            check.JobId = job.Id;
            await db.SaveChangesAsync(ct);
            db.Entry(check).State = EntityState.Detached;
            db.Entry(job).State = EntityState.Detached;
            return (new StartResult(check, await jobs.GetPositionAsync(job.Id, ct), null), true);
        }, ct);

    /// <summary>The place in line of a queued check (1 = next), or null when it is not waiting.</summary>
    public async Task<int?> PositionAsync(Check c, CancellationToken ct) =>
        c.Status == CheckStatus.Queued && c.JobId is { } j ? await jobs.GetPositionAsync(j, ct) : null;

    /// <summary>Cancels a user's queued check and gives its credit back, both or neither; false when it is no longer queued.</summary>
    public Task<bool> CancelAsync(long userId, long checkId, CancellationToken ct) =>
        InTransactionAsync(async () =>
        {
            var c = await db.Checks.AsNoTracking().FirstOrDefaultAsync(x => x.Id == checkId && x.UserId == userId && x.Status == CheckStatus.Queued, ct);
            if (c?.JobId is not { } jobId) return (false, false);
            var now = clock.GetUtcNow().UtcDateTime;
            var n = await db.Jobs.Where(j => j.Id == jobId && j.Status == JobStatus.Queued)
                .ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, JobStatus.Cancelled).SetProperty(j => j.FinishedAt, now), ct);
            if (n == 0) return (false, false);
            await EndCancelledAsync(checkId, ct);
            return (true, true);
        }, ct);

    /// <summary>A cancelled check's row and refund (also the job's cancel hook, when the jobs API cancels it).</summary>
    internal async Task EndCancelledAsync(long checkId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var n = await db.Checks.Where(x => x.Id == checkId && x.Status == CheckStatus.Queued)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, CheckStatus.Cancelled).SetProperty(x => x.FinishedAt, now)
                .SetProperty(x => x.Refunded, true), ct);
        if (n == 0) return;
        var userId = await db.Checks.Where(x => x.Id == checkId).Select(x => x.UserId).SingleAsync(ct);
        await credits.RefundAsync(userId, checkId, "cancelled while queued", ct);
    }

    private const string Savepoint = "check_queue";

    private async Task<T> InTransactionAsync<T>(Func<Task<(T Result, bool Commit)>> work, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is { } outer)
        {
            if (db.ChangeTracker.HasChanges()) await db.SaveChangesAsync(ct);
            await outer.CreateSavepointAsync(Savepoint, ct);
            try
            {
                var (result, commit) = await work();
                if (commit) await outer.ReleaseSavepointAsync(Savepoint, ct);
                else
                {
                    await outer.RollbackToSavepointAsync(Savepoint, ct);
                    DetachChecks();
                }
                return result;
            }
            catch
            {
                try { await outer.RollbackToSavepointAsync(Savepoint, CancellationToken.None); }
                catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException) { }
                DetachChecks();
                throw;
            }
        }
        using (await gate.EnterAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            try
            {
                var (result, commit) = await work();
                if (commit) await tx.CommitAsync(ct);
                else
                {
                    await tx.RollbackAsync(ct);
                    DetachChecks();
                }
                return result;
            }
            catch
            {
                DetachChecks();
                throw;
            }
        }
    }

    private void DetachChecks()
    {
        foreach (var e in db.ChangeTracker.Entries<Check>().ToList()) e.State = EntityState.Detached;
        foreach (var e in db.ChangeTracker.Entries<Job>().ToList()) e.State = EntityState.Detached;
    }
}

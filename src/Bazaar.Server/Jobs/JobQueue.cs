using System.Text.Json;
using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Jobs;

/// <summary>How and when a job runs.</summary>
public sealed record EnqueueOptions
{
    /// <summary>Higher runs first among due jobs of the queue.</summary>
    public int Priority { get; init; }
    /// <summary>Not before this UTC time (a giveaway draw at its end, say).</summary>
    public DateTime? RunAt { get; init; }
    /// <summary>Not before now plus this.</summary>
    public TimeSpan? Delay { get; init; }
    /// <summary>Defaults to Jobs:Types:&lt;type&gt;:MaxAttempts, then Jobs:DefaultMaxAttempts.</summary>
    public int? MaxAttempts { get; init; }
    /// <summary>Enqueueing the same key again makes no second job.</summary>
    public string? IdempotencyKey { get; init; }
}

public enum JobChange { Done, NotFound, WrongStatus }

/// <summary>
/// Adds jobs inside the caller's unit of work, and reads and changes them for the API.
/// <see cref="Enqueue"/> writes nothing itself: the job commits (or rolls back) with the caller's SaveChanges.
/// </summary>
public sealed class JobQueue(BazaarDb db, TimeProvider clock, IOptions<JobsOptions> options, JobSignal signal, IServiceProvider services)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private bool _subscribed;
    private bool _enqueued;

    /// <summary>Adds a job whose payload is <paramref name="payload"/> as JSON (web defaults: camelCase).</summary>
    public Job Enqueue<TPayload>(string type, TPayload payload, EnqueueOptions? opts = null) =>
        EnqueueJson(type, JsonSerializer.Serialize(payload, Json), opts);

    /// <summary>Adds a job whose payload is already a JSON document.</summary>
    public Job EnqueueJson(string type, string payloadJson, EnqueueOptions? opts = null)
    {
        JobsModule.ValidateType(type);
        opts ??= new EnqueueOptions();
        var now = clock.GetUtcNow().UtcDateTime;
        var o = options.Value;
        var job = new Job
        {
            Type = type,
            Payload = payloadJson,
            Priority = opts.Priority,
            MaxAttempts = Math.Max(1, opts.MaxAttempts ?? o.For(type).MaxAttempts ?? o.DefaultMaxAttempts),
            RunAt = opts.RunAt?.ToUniversalTime() ?? now + (opts.Delay ?? TimeSpan.Zero),
            CreatedAt = now,
            IdempotencyKey = opts.IdempotencyKey,
        };
        db.Jobs.Add(job);
        _enqueued = true;
        if (!_subscribed)
        {
            // Wake this process's workers once the job is committed (not merely saved inside the caller's
            // transaction, where a worker would find nothing) rather than at their next poll.
            var wake = signal.Notify;
            db.SavedChanges += (_, _) =>
            {
                if (!_enqueued) return;
                _enqueued = false;
                AfterCommit.Run(db, wake);
            };
            _subscribed = true;
        }
        return job;
    }

    /// <summary>
    /// Enqueues and saves at once. With an idempotency key that is already taken, returns the existing job.
    /// Saves every pending change of the scope's BazaarDb, so use <see cref="Enqueue"/> inside a larger unit of work.
    /// </summary>
    public async Task<Job> EnqueueAsync<TPayload>(string type, TPayload payload, EnqueueOptions? opts = null, CancellationToken ct = default)
    {
        var job = Enqueue(type, payload, opts);
        try
        {
            await db.SaveChangesAsync(ct);
            return job;
        }
        catch (DbUpdateException e) when (opts?.IdempotencyKey is { } key && DbErrors.IsUniqueViolation(e))
        {
            db.Entry(job).State = EntityState.Detached;
            return await db.Jobs.AsNoTracking().SingleAsync(j => j.IdempotencyKey == key, ct);
        }
    }

    /// <summary>A waiting job's place in line among the waiting jobs of its type (1 = next), or null when it is not waiting.</summary>
    public async Task<int?> GetPositionAsync(long id, CancellationToken ct)
    {
        var job = await db.Jobs.AsNoTracking().Where(j => j.Id == id)
            .Select(j => new { j.Type, j.Status, j.Priority, j.RunAt }).SingleOrDefaultAsync(ct);
        if (job is null || job.Status != JobStatus.Queued) return null;
        var ahead = await db.Jobs.CountAsync(j => j.Type == job.Type && j.Status == JobStatus.Queued &&
            (j.Priority > job.Priority ||
             (j.Priority == job.Priority && (j.RunAt < job.RunAt || (j.RunAt == job.RunAt && j.Id < id)))), ct);
        return ahead + 1;
    }

    /// <summary>
    /// Cancels a job that is still queued, and runs its type's <see cref="IJobHandler.OnCancelledAsync"/> in the
    /// same transaction: both commit or neither.
    /// </summary>
    public async Task<JobChange> CancelAsync(long id, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async () =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var n = await db.Jobs.Where(j => j.Id == id && j.Status == JobStatus.Queued)
                .ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, JobStatus.Cancelled).SetProperty(j => j.FinishedAt, now), ct);
            if (n == 0)
            {
                return await db.Jobs.AnyAsync(j => j.Id == id, ct) ? JobChange.WrongStatus : JobChange.NotFound;
            }
            var job = await db.Jobs.AsNoTracking().SingleAsync(j => j.Id == id, ct);
            if (services.GetKeyedService<IJobHandler>(job.Type) is { } handler)
            {
                await handler.OnCancelledAsync(JobContext.Of(job), ct);
                await db.SaveChangesAsync(ct);
            }
            await tx.CommitAsync(ct);
            return JobChange.Done;
        });
    }

    /// <summary>Queues a failed or cancelled job again, with a fresh set of attempts, to run now.</summary>
    public async Task<JobChange> RetryAsync(long id, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var n = await db.Jobs.Where(j => j.Id == id && (j.Status == JobStatus.Failed || j.Status == JobStatus.Cancelled))
            .ExecuteUpdateAsync(s => s
                .SetProperty(j => j.Status, JobStatus.Queued)
                .SetProperty(j => j.Attempts, 0)
                .SetProperty(j => j.RunAt, now)
                .SetProperty(j => j.FinishedAt, (DateTime?)null)
                .SetProperty(j => j.LeaseOwner, (string?)null)
                .SetProperty(j => j.LeaseExpiresAt, (DateTime?)null), ct);
        if (n > 0)
        {
            signal.Notify();
            return JobChange.Done;
        }
        return await db.Jobs.AnyAsync(j => j.Id == id, ct) ? JobChange.WrongStatus : JobChange.NotFound;
    }
}

using Bazaar.Server.Admin;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Jobs;

public static partial class JobsModule
{
    public sealed record QueueTypeStatus(string Type, int Queued, int Due, int Processing, int Completed, int Failed, int Cancelled,
        double? OldestWaitingSeconds);
    public sealed record QueueStatus(DateTime Now, IReadOnlyList<QueueTypeStatus> Types, double? OldestWaitingSeconds);
    public sealed record JobView(long Id, string Type, JobStatus Status, int Priority, int Attempts, int MaxAttempts, DateTime RunAt,
        string? LeaseOwner, DateTime? LeaseExpiresAt, string? LastError, DateTime CreatedAt, DateTime? StartedAt, DateTime? FinishedAt,
        string? IdempotencyKey, string Payload, int? Position);

    public static IEndpointRouteBuilder MapJobsApi(this IEndpointRouteBuilder app)
    {
        // Public on purpose, like a status page: counts and ages per job type, never payloads or ids.
        app.MapGet("/api/v1/queue/status", GetStatus).WithTags("Queue").WithName("GetQueueStatus")
            .WithSummary("Job counts by type and status, and how long the oldest due job has waited (public)");

        var admin = app.MapAdminGroup("/queue", "Queue");
        admin.MapGet("/", ListJobs).WithName("ListJobs").WithSummary("Jobs, newest first, filtered by type and status");
        admin.MapGet("/{id:long}", GetJob).WithName("GetJob").WithSummary("One job, with its place in line while it waits");
        admin.MapPost("/{id:long}/retry", RetryJob).WithName("RetryJob")
            .WithSummary("Queue a failed or cancelled job again with fresh attempts (409 job_not_retryable otherwise)");
        admin.MapPost("/{id:long}/cancel", CancelJob).WithName("CancelJob")
            .WithSummary("Cancel a job that is still queued, running its type's cancel action (409 job_not_queued otherwise)");
        return app;
    }

    internal static async Task<Ok<QueueStatus>> GetStatus(BazaarDb db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var counts = await db.Jobs.GroupBy(j => new { j.Type, j.Status })
            .Select(g => new { g.Key.Type, g.Key.Status, Count = g.Count() }).ToListAsync(ct);
        var due = await db.Jobs.Where(j => j.Status == JobStatus.Queued && j.RunAt <= now).GroupBy(j => j.Type)
            .Select(g => new { Type = g.Key, Count = g.Count(), Oldest = g.Min(j => j.RunAt) }).ToListAsync(ct);
        var types = counts.Select(c => c.Type).Distinct().Order(StringComparer.Ordinal).Select(t =>
        {
            int Count(JobStatus s) => counts.Where(c => c.Type == t && c.Status == s).Sum(c => c.Count);
            var d = due.FirstOrDefault(x => x.Type == t);
            return new QueueTypeStatus(t, Count(JobStatus.Queued), d?.Count ?? 0, Count(JobStatus.Processing), Count(JobStatus.Completed),
                Count(JobStatus.Failed), Count(JobStatus.Cancelled), d is null ? null : (now - d.Oldest).TotalSeconds);
        }).ToList();
        var oldest = types.Max(t => t.OldestWaitingSeconds);
        return TypedResults.Ok(new QueueStatus(now, types, oldest));
    }

    internal static async Task<Results<Ok<Paged<JobView>>, ProblemHttpResult>> ListJobs(BazaarDb db, CancellationToken ct,
        string? type = null, string? status = null, int page = 1, int pageSize = 50)
    {
        var q = db.Jobs.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(type)) q = q.Where(j => j.Type == type);
        if (!string.IsNullOrWhiteSpace(status))
        {
            if (!Enum.TryParse<JobStatus>(status, ignoreCase: true, out var s) || !Enum.IsDefined(s))
                return Problems.InvalidStatus(Enum.GetNames<JobStatus>().Select(n => n.ToLowerInvariant()));
            q = q.Where(j => j.Status == s);
        }
        return TypedResults.Ok(await Paged<JobView>.Of(q.OrderByDescending(j => j.Id).Select(j => new JobView(
            j.Id, j.Type, j.Status, j.Priority, j.Attempts, j.MaxAttempts, j.RunAt, j.LeaseOwner, j.LeaseExpiresAt, j.LastError,
            j.CreatedAt, j.StartedAt, j.FinishedAt, j.IdempotencyKey, j.Payload, null)), page, pageSize, ct));
    }

    internal static async Task<Results<Ok<JobView>, ProblemHttpResult>> GetJob(long id, BazaarDb db, JobQueue queue, CancellationToken ct) =>
        await View(id, db, queue, ct) is { } v ? TypedResults.Ok(v) : NotFound(id);

    internal static async Task<Results<Ok<JobView>, ProblemHttpResult>> RetryJob(long id, BazaarDb db, JobQueue queue, CancellationToken ct) =>
        await queue.RetryAsync(id, ct) switch
        {
            JobChange.Done => TypedResults.Ok((await View(id, db, queue, ct))!),
            JobChange.NotFound => NotFound(id),
            _ => Problems.Conflict("job_not_retryable", $"Job {id} is neither failed nor cancelled."),
        };

    internal static async Task<Results<Ok<JobView>, ProblemHttpResult>> CancelJob(long id, BazaarDb db, JobQueue queue, CancellationToken ct) =>
        await queue.CancelAsync(id, ct) switch
        {
            JobChange.Done => TypedResults.Ok((await View(id, db, queue, ct))!),
            JobChange.NotFound => NotFound(id),
            _ => Problems.Conflict("job_not_queued", $"Job {id} is no longer queued, so it cannot be cancelled."),
        };

    private static ProblemHttpResult NotFound(long id) => Problems.NotFound("job_not_found", $"There is no job {id}.");

    private static async Task<JobView?> View(long id, BazaarDb db, JobQueue queue, CancellationToken ct)
    {
        var j = await db.Jobs.AsNoTracking().SingleOrDefaultAsync(x => x.Id == id, ct);
        if (j is null) return null;
        var position = j.Status == JobStatus.Queued ? await queue.GetPositionAsync(id, ct) : null;
        return new JobView(j.Id, j.Type, j.Status, j.Priority, j.Attempts, j.MaxAttempts, j.RunAt, j.LeaseOwner, j.LeaseExpiresAt,
            j.LastError, j.CreatedAt, j.StartedAt, j.FinishedAt, j.IdempotencyKey, j.Payload, position);
    }
}

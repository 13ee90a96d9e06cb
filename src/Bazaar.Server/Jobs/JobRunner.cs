using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Jobs;

public enum JobOutcome { Completed, Retrying, Failed, Released, LeaseLost }

/// <summary>What one <see cref="JobRunner.RunOnceAsync"/> did: nothing (no due job), or one job and its end.</summary>
public sealed record JobRun(long JobId, string Type, int Attempt, JobOutcome Outcome);

/// <summary>
/// Claims one due job at a time and runs its handler in a fresh scope. Stateless apart from its
/// configuration, so any number of workers (loops, tests, processes) may call it at once, each with an owner
/// name of its own: claiming is atomic in the database.
/// </summary>
public sealed class JobRunner(
    IServiceScopeFactory scopes, IOptions<JobsOptions> options, JobHandlerRegistry registry, Conversations.WriteGate gate,
    TimeProvider clock, ILogger<JobRunner> log)
{
    private int _roundRobin;
    private long _nextRecoveryTicks;

    /// <summary>
    /// Claims and runs at most one job. <paramref name="ct"/> cancels the running handler (the job is then
    /// handed back to the queue without using up an attempt). Returns null when no job was due.
    /// </summary>
    public Task<JobRun?> RunOnceAsync(string owner, CancellationToken ct) => RunOnceAsync(owner, CancellationToken.None, ct);

    /// <summary>As above; no claim statement starts once <paramref name="stopClaiming"/> is cancelled.</summary>
    public async Task<JobRun?> RunOnceAsync(string owner, CancellationToken stopClaiming, CancellationToken ct)
    {
        if (registry.Types.Count == 0) return null;
        var now = clock.GetUtcNow().UtcDateTime;
        if (now.Ticks >= Interlocked.Read(ref _nextRecoveryTicks))
        {
            Interlocked.Exchange(ref _nextRecoveryTicks, now.AddSeconds(Math.Max(1, options.Value.LeaseSeconds / 4.0)).Ticks);
            await RecoverExpiredLeasesAsync(ct);
        }

        // One context and connection for the claim and the outcome of this job.
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        await db.Database.OpenConnectionAsync(ct);
        var job = await ClaimAsync(db, owner, stopClaiming, ct);
        return job is null ? null : await ExecuteAsync(db, job, owner, ct);
    }

    /// <summary>Claims the next job this process can run, trying the unlimited types and each limited type in turn.</summary>
    internal async Task<Job?> ClaimAsync(string owner, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await ClaimAsync(scope.ServiceProvider.GetRequiredService<BazaarDb>(), owner, CancellationToken.None, ct);
    }

    private async Task<Job?> ClaimAsync(BazaarDb db, string owner, CancellationToken stopClaiming, CancellationToken ct)
    {
        var o = options.Value;
        var groups = new List<(IReadOnlyList<string> Types, JobTypeOptions Limit)>();
        var free = registry.Types.Where(t => !o.For(t).IsLimited).ToArray();
        if (free.Length > 0) groups.Add((free, JobTypeOptions.None));
        foreach (var t in registry.Types.Where(t => o.For(t).IsLimited)) groups.Add(([t], o.For(t)));

        var start = (int)((uint)Interlocked.Increment(ref _roundRobin) % (uint)groups.Count);
        for (var i = 0; i < groups.Count; i++)
        {
            if (stopClaiming.IsCancellationRequested) return null;
            var (types, limit) = groups[(start + i) % groups.Count];
            Job? job;
            using (await WriterTurnAsync(db, ct))
            {
                var now = clock.GetUtcNow().UtcDateTime;
                job = await JobSql.ClaimAsync(db, types, limit, owner, now, now.AddSeconds(o.LeaseSeconds), ct);
            }
            // Stopping began while this claim was in flight: run nothing new; the host hands the lease back on stop.
            if (job is not null) return stopClaiming.IsCancellationRequested ? null : job;
        }
        return null;
    }

    private async Task<JobRun> ExecuteAsync(BazaarDb db, Job job, string owner, CancellationToken ct)
    {
        using var run = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var stopRenewing = new CancellationTokenSource();
        var leaseLost = false;
        var renewing = RenewLeaseUntilAsync(job.Id, owner, () => { leaseLost = true; run.Cancel(); }, stopRenewing.Token);

        Exception? error = null;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var handler = scope.ServiceProvider.GetKeyedService<IJobHandler>(job.Type)
                ?? throw new JobPermanentFailure($"No handler is registered for job type '{job.Type}'.");
            await handler.HandleAsync(JobContext.Of(job), run.Token);
        }
        catch (Exception e)
        {
            error = e;
        }
        finally
        {
            stopRenewing.Cancel();
            await renewing;
        }

        // Bookkeeping must happen even when the worker is being stopped.
        var mine = db.Jobs.Where(j => j.Id == job.Id && j.LeaseOwner == owner && j.Status == JobStatus.Processing);
        var turn = await WriterTurnAsync(db, CancellationToken.None);
        try
        {
            var now = clock.GetUtcNow().UtcDateTime;
            JobOutcome outcome;
            if (leaseLost)
            {
                outcome = JobOutcome.LeaseLost;
                log.LogWarning("Job {Id} ({Type}) lost its lease; another worker may run it again", job.Id, job.Type);
            }
            else if (error is null)
            {
                outcome = JobOutcome.Completed;
                await mine.ExecuteUpdateAsync(s => s
                    .SetProperty(j => j.Status, JobStatus.Completed)
                    .SetProperty(j => j.FinishedAt, now)
                    .SetProperty(j => j.LeaseOwner, (string?)null)
                    .SetProperty(j => j.LeaseExpiresAt, (DateTime?)null), CancellationToken.None);
            }
            else if (error is OperationCanceledException && ct.IsCancellationRequested)
            {
                outcome = JobOutcome.Released;
                await ReleaseAsync(mine, now, CancellationToken.None);
            }
            else if (error is JobPermanentFailure || job.Attempts >= job.MaxAttempts)
            {
                outcome = JobOutcome.Failed;
                var message = JobSql.Truncate(Describe(error));
                log.LogWarning(error, "Job {Id} ({Type}) failed for good after attempt {Attempt}", job.Id, job.Type, job.Attempts);
                // FailAsync takes its own turn, in the transaction that runs the failure hook.
                turn?.Dispose();
                turn = null;
                await FailAsync(job.Id, message, q => q.Where(j => j.LeaseOwner == owner && j.Status == JobStatus.Processing), now, CancellationToken.None);
            }
            else
            {
                outcome = JobOutcome.Retrying;
                var message = JobSql.Truncate(Describe(error));
                var runAt = now + Backoff(job.Attempts, options.Value, Random.Shared.NextDouble());
                log.LogInformation("Job {Id} ({Type}) attempt {Attempt} failed; retrying at {RunAt}: {Error}",
                    job.Id, job.Type, job.Attempts, runAt, error.Message);
                await mine.ExecuteUpdateAsync(s => s
                    .SetProperty(j => j.Status, JobStatus.Queued)
                    .SetProperty(j => j.RunAt, runAt)
                    .SetProperty(j => j.LastError, message)
                    .SetProperty(j => j.LeaseOwner, (string?)null)
                    .SetProperty(j => j.LeaseExpiresAt, (DateTime?)null), CancellationToken.None);
            }
            return new JobRun(job.Id, job.Type, job.Attempts, outcome);
        }
        finally
        {
            turn?.Dispose();
        }
    }

    /// <summary>The process's one SQLite writer turn (see WriteGate); a failure hook that writes joins it.</summary>
    private async Task<IDisposable?> WriterTurnAsync(BazaarDb db, CancellationToken ct) =>
        db.IsPostgres ? null : await gate.EnterAsync(ct);

    /// <summary>Exponential backoff with jitter: base·2^(attempt-1), capped, then scaled into [50%, 100%].</summary>
    public static TimeSpan Backoff(int attempt, JobsOptions o, double random)
    {
        var full = Math.Min(o.BackoffMaxSeconds, o.BackoffBaseSeconds * Math.Pow(2, Math.Max(0, attempt - 1)));
        return TimeSpan.FromSeconds(full * (0.5 + 0.5 * random));
    }

    private static string Describe(Exception e) => e is JobPermanentFailure ? e.Message : $"{e.GetType().Name}: {e.Message}";

    /// <summary>Renews the lease every third of its length while the handler runs; reports a lost lease.</summary>
    private async Task RenewLeaseUntilAsync(long id, string owner, Action lost, CancellationToken stop)
    {
        var lease = TimeSpan.FromSeconds(options.Value.LeaseSeconds);
        try
        {
            while (true)
            {
                // The usual end is the job finishing first; not throwing then keeps a job cheap.
                await Task.Delay(lease / 3, clock, stop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (stop.IsCancellationRequested) return;
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
                using var turn = await WriterTurnAsync(db, stop);
                var until = clock.GetUtcNow().UtcDateTime + lease;
                var n = await db.Jobs.Where(j => j.Id == id && j.LeaseOwner == owner && j.Status == JobStatus.Processing)
                    .ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseExpiresAt, until), stop);
                if (n == 0)
                {
                    lost();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // The lease then simply runs out; the job is recovered elsewhere.
            log.LogError(e, "Renewing the lease of job {Id} failed", id);
        }
    }

    /// <summary>Hands back jobs whose lease ran out (their worker died): queued again, or failed when out of attempts.</summary>
    public async Task<int> RecoverExpiredLeasesAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        var now = clock.GetUtcNow().UtcDateTime;
        var expired = db.Jobs.Where(j => j.Status == JobStatus.Processing && j.LeaseExpiresAt < now);
        // One at a time, so each type's failure hook runs with its job's change; the conditional update in
        // FailAsync makes a job fail once when several recoverers race.
        var last = await expired.Where(j => j.Attempts >= j.MaxAttempts).OrderBy(j => j.Id).Select(j => j.Id).Take(100).ToListAsync(ct);
        var failed = 0;
        foreach (var id in last)
        {
            if (await FailAsync(id, "The worker's lease expired on the last attempt.",
                    q => q.Where(j => j.Status == JobStatus.Processing && j.LeaseExpiresAt < now && j.Attempts >= j.MaxAttempts), now, ct))
                failed++;
        }
        int requeued;
        using (await WriterTurnAsync(db, ct))
        {
            requeued = await expired.Where(j => j.Attempts < j.MaxAttempts).ExecuteUpdateAsync(s => s
                .SetProperty(j => j.Status, JobStatus.Queued)
                .SetProperty(j => j.RunAt, now)
                .SetProperty(j => j.LastError, "The worker's lease expired.")
                .SetProperty(j => j.LeaseOwner, (string?)null)
                .SetProperty(j => j.LeaseExpiresAt, (DateTime?)null), ct);
        }
        if (failed + requeued > 0)
            log.LogWarning("Recovered {Requeued} job(s) with an expired lease; {Failed} were out of attempts", requeued, failed);
        return failed + requeued;
    }

    /// <summary>
    /// Marks the job FAILED if it still matches <paramref name="still"/>, and runs its type's
    /// <see cref="IJobHandler.OnFailedAsync"/> in the same transaction. A hook that throws is logged and the job
    /// fails without the hook's changes, so a bug there cannot keep a job alive.
    /// </summary>
    private async Task<bool> FailAsync(long id, string error, Func<IQueryable<Job>, IQueryable<Job>> still, DateTime now, CancellationToken ct)
    {
        try
        {
            return await FailOnceAsync(id, error, still, now, withHook: true, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            log.LogError(e, "The failure hook of job {Id} threw; failing the job without it", id);
            return await FailOnceAsync(id, JobSql.Truncate(error + " (failure hook threw: " + e.Message + ")"), still, now, withHook: false, ct);
        }
    }

    private async Task<bool> FailOnceAsync(long id, string error, Func<IQueryable<Job>, IQueryable<Job>> still, DateTime now, bool withHook, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        using var turn = await WriterTurnAsync(db, ct);
        return await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var n = await still(db.Jobs.Where(j => j.Id == id)).ExecuteUpdateAsync(s => s
                .SetProperty(j => j.Status, JobStatus.Failed)
                .SetProperty(j => j.FinishedAt, now)
                .SetProperty(j => j.LastError, error)
                .SetProperty(j => j.LeaseOwner, (string?)null)
                .SetProperty(j => j.LeaseExpiresAt, (DateTime?)null), ct);
            if (n == 0) return false;
            if (withHook)
            {
                var job = await db.Jobs.AsNoTracking().SingleAsync(j => j.Id == id, ct);
                if (scope.ServiceProvider.GetKeyedService<IJobHandler>(job.Type) is { } handler)
                {
                    await handler.OnFailedAsync(JobContext.Of(job), error, ct);
                    await db.SaveChangesAsync(ct);
                }
            }
            await tx.CommitAsync(ct);
            return true;
        });
    }

    /// <summary>Gives back every job still held by these owners (at shutdown): queued again, the attempt not counted.</summary>
    public async Task<int> ReleaseLeasesAsync(IReadOnlyCollection<string> owners, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        var now = clock.GetUtcNow().UtcDateTime;
        return await ReleaseAsync(db.Jobs.Where(j => j.Status == JobStatus.Processing && j.LeaseOwner != null && owners.Contains(j.LeaseOwner)), now, ct);
    }

    private static Task<int> ReleaseAsync(IQueryable<Job> jobs, DateTime now, CancellationToken ct = default) =>
        jobs.ExecuteUpdateAsync(s => s
            .SetProperty(j => j.Status, JobStatus.Queued)
            .SetProperty(j => j.Attempts, j => j.Attempts > 0 ? j.Attempts - 1 : 0)
            .SetProperty(j => j.RunAt, now)
            .SetProperty(j => j.LeaseOwner, (string?)null)
            .SetProperty(j => j.LeaseExpiresAt, (DateTime?)null), ct);
}

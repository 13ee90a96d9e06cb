using System.Collections.Concurrent;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Bazaar.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Jobs;

/// <summary>
/// The server with its own job host switched off, so tests step workers and schedulers themselves, and with
/// test job types whose handlers record what ran.
/// </summary>
public class JobsAppFactory : AppFactory
{
    public const string Record = "test.record";
    public const string Fail = "test.fail";
    public const string Permanent = "test.permanent";
    public const string Block = "test.block";
    public const string Limited = "test.limited";
    public const string Spaced = "test.spaced";
    public const string Refundable = "test.refundable";

    public JobLog Log { get; } = new();

    public JobsAppFactory()
    {
        With("Jobs:Enabled", "false");
        With("Jobs:LeaseSeconds", "60");
        With("Jobs:BackoffBaseSeconds", "10");
        With("Jobs:BackoffMaxSeconds", "3600");
        With("Jobs:DefaultMaxAttempts", "3");
        With($"Jobs:Types:{Limited}:MaxConcurrent", "1");
        With($"Jobs:Types:{Spaced}:MinIntervalSeconds", "10");
    }

    protected override void ConfigureTestServices(IServiceCollection services)
    {
        services.AddSingleton(Log);
        services.AddJobHandler<RecordingHandler>(Record);
        services.AddJobHandler<FailingHandler>(Fail);
        services.AddJobHandler<PermanentFailureHandler>(Permanent);
        services.AddJobHandler<BlockingHandler>(Block);
        services.AddJobHandler<RecordingHandler>(Limited);
        services.AddJobHandler<RecordingHandler>(Spaced);
        services.AddJobHandler<RefundableHandler>(Refundable);
        services.AddRecurringJob("test.every-minute", TimeSpan.FromMinutes(1), Record, new { tick = true });
        services.AddRecurringJob("test.cron", "*/5 * * * *", Record, new { cron = true });
    }

    /// <summary>Another worker process on the same database: a runner of its own.</summary>
    public JobRunner NewRunner() => ActivatorUtilities.CreateInstance<JobRunner>(Services);

    public JobRunner Runner => Services.GetRequiredService<JobRunner>();

    public async Task<Job> EnqueueAsync(string type, object payload, EnqueueOptions? options = null)
    {
        await using var scope = Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<JobQueue>().EnqueueAsync(type, payload, options, CancellationToken.None);
    }

    public Task<Job> JobAsync(long id) => WithDb(db => db.Jobs.AsNoTracking().SingleAsync(j => j.Id == id));

    /// <summary>Runs jobs until none is due.</summary>
    public static async Task<int> DrainAsync(JobRunner runner, string owner)
    {
        var n = 0;
        while (await runner.RunOnceAsync(owner, CancellationToken.None) is not null) n++;
        return n;
    }

    /// <summary>Waits (briefly, in real time) for background work such as a running handler to reach a state.</summary>
    public static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        for (var i = 0; i < 500; i++)
        {
            if (await condition()) return;
            await Task.Delay(20);
        }
        Assert.Fail("Timed out waiting until " + what);
    }
}

/// <summary>What the test handlers saw.</summary>
public sealed class JobLog
{
    public ConcurrentDictionary<long, int> Runs { get; } = new();
    public ConcurrentQueue<(long Id, string Type, int Attempt)> Order { get; } = new();
    private int _running;
    private int _maxRunning;
    public int MaxRunning => Volatile.Read(ref _maxRunning);
    public TaskCompletionSource Gate { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public ConcurrentDictionary<long, bool> Started { get; } = new();
    /// <summary>Each run of a failure hook: the job and the error it was given.</summary>
    public ConcurrentQueue<(long Id, string Error)> Failed { get; } = new();

    public const string FollowUp = "test.failed-followup"; // no handler: the follow-up only shows the hook's changes committed

    /// <summary>A failure hook: records the call and adds a follow-up job in the failing transaction.</summary>
    public Task OnFailedAsync(JobQueue queue, JobContext job, string error)
    {
        Failed.Enqueue((job.Id, error));
        queue.Enqueue(FollowUp, new { failed = job.Id }, new EnqueueOptions { IdempotencyKey = $"failed:{job.Id}" });
        return Task.CompletedTask;
    }

    public async Task RunAsync(JobContext job, TimeSpan hold)
    {
        Runs.AddOrUpdate(job.Id, 1, (_, n) => n + 1);
        Order.Enqueue((job.Id, job.Type, job.Attempt));
        var now = Interlocked.Increment(ref _running);
        int seen;
        while (now > (seen = Volatile.Read(ref _maxRunning)) && Interlocked.CompareExchange(ref _maxRunning, now, seen) != seen) { }
        try
        {
            // A real pause, so that racing workers overlap if the limit does not hold.
            if (hold > TimeSpan.Zero) await Task.Delay(hold);
            else await Task.Yield();
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }
}

public sealed class RecordingHandler(JobLog log, JobQueue queue) : IJobHandler
{
    public Task HandleAsync(JobContext job, CancellationToken ct) =>
        log.RunAsync(job, job.Type == JobsAppFactory.Limited ? TimeSpan.FromMilliseconds(15) : TimeSpan.Zero);

    public Task OnFailedAsync(JobContext job, string error, CancellationToken ct) => log.OnFailedAsync(queue, job, error);
}

public sealed class FailingHandler(JobLog log, JobQueue queue) : IJobHandler
{
    public Task OnFailedAsync(JobContext job, string error, CancellationToken ct) => log.OnFailedAsync(queue, job, error);

    public async Task HandleAsync(JobContext job, CancellationToken ct)
    {
        await log.RunAsync(job, TimeSpan.Zero);
        throw new InvalidOperationException($"boom on attempt {job.Attempt}");
    }
}

public sealed record BadInput(string Reason);

public sealed class PermanentFailureHandler(JobLog log, JobQueue queue) : JobHandler<BadInput>
{
    public override async Task OnFailedAsync(BadInput payload, JobContext job, string error, CancellationToken ct)
    {
        await log.OnFailedAsync(queue, job, error);
        if (payload.Reason == "hook-explodes") throw new InvalidOperationException("hook failed");
    }

    public override async Task HandleAsync(BadInput payload, JobContext job, CancellationToken ct)
    {
        await log.RunAsync(job, TimeSpan.Zero);
        throw new JobPermanentFailure("bad input: " + payload.Reason);
    }
}

/// <summary>Runs until the test opens the gate, or until its token is cancelled.</summary>
public sealed class BlockingHandler(JobLog log) : IJobHandler
{
    public async Task HandleAsync(JobContext job, CancellationToken ct)
    {
        log.Started[job.Id] = true;
        await log.Gate.Task.WaitAsync(ct);
        await log.RunAsync(job, TimeSpan.Zero);
    }
}

public sealed record Purchase(string Buyer, long AmountMinor);

/// <summary>Cancelling means a refund: here, a follow-up job added in the cancelling transaction.</summary>
public sealed class RefundableHandler(JobLog log, JobQueue queue) : JobHandler<Purchase>
{
    public override Task HandleAsync(Purchase payload, JobContext job, CancellationToken ct) => log.RunAsync(job, TimeSpan.Zero);

    public override Task OnCancelledAsync(Purchase payload, JobContext job, CancellationToken ct)
    {
        if (payload.Buyer == "explode") throw new InvalidOperationException("refund failed");
        queue.Enqueue(JobsAppFactory.Record, new { refundOf = job.Id, payload.AmountMinor }, new EnqueueOptions { IdempotencyKey = $"refund:{job.Id}" });
        return Task.CompletedTask;
    }
}

/// <summary>A fresh server and database for each test (xunit makes a class instance per test).</summary>
public abstract class JobsTest : IAsyncLifetime
{
    protected JobsAppFactory F { get; private set; } = null!;

    protected virtual JobsAppFactory CreateFactory() => new();

    public async Task InitializeAsync()
    {
        F = CreateFactory();
        await F.InitializeAsync();
    }

    public async Task DisposeAsync() => await ((IAsyncLifetime)F).DisposeAsync();
}

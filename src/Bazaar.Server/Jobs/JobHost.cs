using Microsoft.Extensions.Options;

namespace Bazaar.Server.Jobs;

/// <summary>Wakes idle workers when this process enqueues a job, instead of waiting for their next poll.</summary>
public sealed class JobSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task WaitAsync() => Volatile.Read(ref _next).Task;

    public void Notify() =>
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}

/// <summary>
/// Runs Jobs:Workers worker loops and one scheduler loop in this process. On stop it claims no more jobs, gives
/// running jobs Jobs:ShutdownSeconds to finish, cancels the rest, and hands every lease it still holds back.
/// </summary>
public sealed class JobHost(JobRunner runner, JobScheduler scheduler, JobSignal signal, IOptions<JobsOptions> options,
    TimeProvider clock, ILogger<JobHost> log) : IHostedService, IDisposable
{
    private readonly string _prefix = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";
    private readonly CancellationTokenSource _stopClaiming = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly List<Task> _loops = [];
    private readonly List<string> _owners = [];

    public IReadOnlyList<string> Owners => _owners;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (!o.Enabled) return Task.CompletedTask;
        for (var i = 1; i <= Math.Max(1, o.Workers); i++)
        {
            var owner = $"{_prefix}/{i}";
            _owners.Add(owner);
            _loops.Add(Task.Run(() => WorkerLoopAsync(owner), CancellationToken.None));
        }
        _loops.Add(Task.Run(SchedulerLoopAsync, CancellationToken.None));
        log.LogInformation("Job host {Prefix} started {Workers} worker(s)", _prefix, _owners.Count);
        return Task.CompletedTask;
    }

    private async Task WorkerLoopAsync(string owner)
    {
        var stop = _stopClaiming.Token;
        var poll = TimeSpan.FromSeconds(Math.Max(0.01, options.Value.PollSeconds));
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var woken = signal.WaitAsync(); // taken before looking, so an enqueue meanwhile is not missed
                if (await runner.RunOnceAsync(owner, stop, _abort.Token) is null)
                    await Task.WhenAny(woken, Task.Delay(poll, clock, stop));
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                log.LogError(e, "Job worker {Owner} failed; pausing", owner);
                await Task.WhenAny(Task.Delay(TimeSpan.FromSeconds(5), clock, stop));
            }
        }
    }

    private async Task SchedulerLoopAsync()
    {
        var stop = _stopClaiming.Token;
        var poll = TimeSpan.FromSeconds(Math.Max(1, options.Value.PollSeconds));
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await scheduler.RunOnceAsync(stop);
                await Task.WhenAny(Task.Delay(poll, clock, stop));
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                log.LogError(e, "Recurring job scheduler failed; pausing");
                await Task.WhenAny(Task.Delay(TimeSpan.FromSeconds(5), clock, stop));
            }
        }
    }

    private readonly Lock _stopLock = new();
    private Task? _stopping;

    /// <summary>Idempotent: the host may be stopped twice at once (e.g. by Run's shutdown and by its owner).</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_stopLock) return _stopping ??= StopOnceAsync(cancellationToken);
    }

    private async Task StopOnceAsync(CancellationToken cancellationToken)
    {
        if (_loops.Count == 0) return;
        _stopClaiming.Cancel();
        var all = Task.WhenAll(_loops);
        var bound = Task.Delay(TimeSpan.FromSeconds(options.Value.ShutdownSeconds), clock, cancellationToken);
        await Task.WhenAny(all, bound);
        if (!all.IsCompleted)
        {
            log.LogWarning("Jobs still running after {Seconds}s; cancelling them", options.Value.ShutdownSeconds);
            _abort.Cancel();
            await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(5), clock, CancellationToken.None));
        }
        try
        {
            var released = await runner.ReleaseLeasesAsync(_owners, CancellationToken.None);
            log.LogInformation("Job host {Prefix} stopped; handed back {Released} lease(s)", _prefix, released);
        }
        catch (Exception e)
        {
            // The leases then simply expire and the jobs are recovered elsewhere.
            log.LogWarning(e, "Job host {Prefix} could not hand its leases back", _prefix);
        }
    }

    public void Dispose()
    {
        _stopClaiming.Dispose();
        _abort.Dispose();
    }
}

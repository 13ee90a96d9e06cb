namespace Bazaar.Server.Hosting;

/// <summary>
/// Start-up (migrations, the EF model, OpenAPI, seeds) leaves tens of megabytes of garbage and grown heaps that a quiet
/// server would otherwise keep committed until its next full collection: once start-up has settled, one aggressive
/// collection gives them back to the system. It runs once, so it costs nothing later.
/// </summary>
public sealed class StartupTrim(IHostApplicationLifetime lifetime, TimeProvider clock) : BackgroundService
{
    public static readonly TimeSpan After = TimeSpan.FromSeconds(15);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled()))
        {
            try
            {
                await started.Task;
                await Task.Delay(After, clock, stoppingToken);
            }
            catch (OperationCanceledException) { return; }
        }
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }
}

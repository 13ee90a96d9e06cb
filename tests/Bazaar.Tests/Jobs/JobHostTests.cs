using Bazaar.Server.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Bazaar.Tests.Jobs;

public sealed class JobHostTests : JobsTest
{
    /// <summary>The server's own job host, switched on as in production.</summary>
    public sealed class WithHostEnabled : JobsTest
    {
        protected override JobsAppFactory CreateFactory()
        {
            var f = new JobsAppFactory();
            f.With("Jobs:Enabled", "true");
            return f;
        }

        [Fact]
        public async Task The_servers_job_host_runs_enqueued_jobs()
        {
            var job = await F.EnqueueAsync(JobsAppFactory.Record, new { });
            await JobsAppFactory.Eventually(async () => (await F.JobAsync(job.Id)).Status == JobStatus.Completed, "the job completes");
            Assert.Equal(1, F.Log.Runs[job.Id]);
            Assert.StartsWith(Environment.MachineName, F.Services.GetRequiredService<JobHost>().Owners[0]);
        }
    }

    private JobHost NewHost(int shutdownSeconds = 30) => ActivatorUtilities.CreateInstance<JobHost>(F.Services,
        Options.Create(new JobsOptions { Enabled = true, Workers = 2, PollSeconds = 1, LeaseSeconds = 60, ShutdownSeconds = shutdownSeconds }));

    [Fact]
    public async Task Workers_pick_up_a_local_enqueue_without_waiting_for_a_poll()
    {
        var host = NewHost();
        await host.StartAsync(CancellationToken.None);
        try
        {
            var job = await F.EnqueueAsync(JobsAppFactory.Record, new { });
            // The fake clock never moves here, so only the wake-up signal can start the job.
            await JobsAppFactory.Eventually(() => Task.FromResult(F.Log.Runs.ContainsKey(job.Id)), "the job runs");
            await JobsAppFactory.Eventually(async () => (await F.JobAsync(job.Id)).Status == JobStatus.Completed, "the job completes");
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Stopping_twice_at_once_stops_once()
    {
        // WebApplicationFactory and the app's own Run both stop the host; the second must not outlive the first.
        var host = NewHost();
        await host.StartAsync(CancellationToken.None);
        var first = host.StopAsync(CancellationToken.None);
        var second = host.StopAsync(CancellationToken.None);
        Assert.Same(first, second);
        await first;
    }

    [Fact]
    public async Task Shutdown_stops_claiming_and_lets_a_running_job_finish()
    {
        var host = NewHost();
        await host.StartAsync(CancellationToken.None);
        var running = await F.EnqueueAsync(JobsAppFactory.Block, new { });
        await JobsAppFactory.Eventually(() => Task.FromResult(F.Log.Started.ContainsKey(running.Id)), "the job runs");

        var stopping = host.StopAsync(CancellationToken.None);
        var waiting = await F.EnqueueAsync(JobsAppFactory.Record, new { });
        Assert.False(stopping.IsCompleted);
        F.Log.Gate.SetResult();
        await stopping;

        Assert.Equal(JobStatus.Completed, (await F.JobAsync(running.Id)).Status);
        Assert.Equal(JobStatus.Queued, (await F.JobAsync(waiting.Id)).Status);
        Assert.False(F.Log.Runs.ContainsKey(waiting.Id));
    }

    [Fact]
    public async Task Shutdown_past_its_bound_cancels_running_jobs_and_gives_their_leases_back()
    {
        var host = NewHost(shutdownSeconds: 10);
        await host.StartAsync(CancellationToken.None);
        var job = await F.EnqueueAsync(JobsAppFactory.Block, new { });
        await JobsAppFactory.Eventually(() => Task.FromResult(F.Log.Started.ContainsKey(job.Id)), "the job runs");
        var held = await F.JobAsync(job.Id);
        Assert.Equal(JobStatus.Processing, held.Status);
        Assert.Contains(held.LeaseOwner, host.Owners);

        var stopping = host.StopAsync(CancellationToken.None);
        for (var i = 0; i < 200 && !stopping.IsCompleted; i++)
        {
            F.Clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(10);
        }
        await stopping;

        var released = await F.JobAsync(job.Id);
        Assert.Equal(JobStatus.Queued, released.Status);
        Assert.Null(released.LeaseOwner);
        Assert.Null(released.LeaseExpiresAt);
        Assert.Equal(0, released.Attempts); // the interrupted attempt is not held against the job

        // Another process takes it at once rather than after a lease expiry.
        F.Log.Gate.SetResult();
        Assert.Equal(JobOutcome.Completed, (await F.NewRunner().RunOnceAsync("next", CancellationToken.None))!.Outcome);
    }
}

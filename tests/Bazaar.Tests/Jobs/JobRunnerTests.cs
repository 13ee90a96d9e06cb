using Bazaar.Server.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Jobs;

public sealed class JobRunnerTests : JobsTest
{
    [Fact]
    public async Task Racing_workers_in_two_processes_run_each_job_exactly_once()
    {
        const int count = 300;
        var ids = new List<long>();
        await using (var scope = F.Services.CreateAsyncScope())
        {
            var queue = scope.ServiceProvider.GetRequiredService<JobQueue>();
            var jobs = Enumerable.Range(0, count).Select(i => queue.Enqueue(JobsAppFactory.Record, new { i })).ToList();
            await scope.ServiceProvider.GetRequiredService<Bazaar.Server.Data.BazaarDb>().SaveChangesAsync();
            ids.AddRange(jobs.Select(j => j.Id));
        }

        // Two "processes" (runners of their own), three workers each, every claim in a scope of its own.
        var processA = F.Runner;
        var processB = F.NewRunner();
        var workers = Enumerable.Range(0, 6).Select(i => Task.Run(() =>
            JobsAppFactory.DrainAsync(i % 2 == 0 ? processA : processB, $"p{i % 2}/w{i}"))).ToArray();
        var ran = await Task.WhenAll(workers);

        Assert.Equal(count, ran.Sum());
        Assert.True(ran.Count(n => n > 0) >= 2, "the work should have been shared: " + string.Join(",", ran));
        Assert.All(ids, id => Assert.Equal(1, F.Log.Runs.GetValueOrDefault(id)));
        var stored = await F.WithDb(db => db.Jobs.Where(j => ids.Contains(j.Id)).ToListAsync());
        Assert.All(stored, j =>
        {
            Assert.Equal(JobStatus.Completed, j.Status);
            Assert.Equal(1, j.Attempts);
            Assert.Null(j.LeaseOwner);
            Assert.NotNull(j.FinishedAt);
        });
    }

    [Fact]
    public async Task A_job_whose_worker_died_is_claimed_again_after_its_lease_expires()
    {
        var job = await F.EnqueueAsync(JobsAppFactory.Record, new { n = 1 });
        var dead = await F.Runner.ClaimAsync("dead-worker", CancellationToken.None); // claimed, then kill -9
        Assert.Equal(job.Id, dead!.Id);

        Assert.Null(await F.NewRunner().RunOnceAsync("survivor", CancellationToken.None));
        F.Clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Null(await F.NewRunner().RunOnceAsync("survivor", CancellationToken.None));

        F.Clock.Advance(TimeSpan.FromSeconds(2));
        var run = await F.NewRunner().RunOnceAsync("survivor", CancellationToken.None);
        Assert.Equal(new JobRun(job.Id, JobsAppFactory.Record, 2, JobOutcome.Completed), run);
        Assert.Equal(1, F.Log.Runs[job.Id]);
        Assert.Equal(JobStatus.Completed, (await F.JobAsync(job.Id)).Status);
    }

    [Fact]
    public async Task A_lease_that_expires_on_the_last_attempt_fails_the_job()
    {
        var job = await F.EnqueueAsync(JobsAppFactory.Record, new { n = 1 }, new EnqueueOptions { MaxAttempts = 1 });
        Assert.NotNull(await F.Runner.ClaimAsync("dead-worker", CancellationToken.None));
        F.Clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(1, await F.NewRunner().RecoverExpiredLeasesAsync(CancellationToken.None));
        var stored = await F.JobAsync(job.Id);
        Assert.Equal(JobStatus.Failed, stored.Status);
        Assert.Contains("lease expired", stored.LastError);
        Assert.Equal(job.Id, Assert.Single(F.Log.Failed).Id);
    }

    [Fact]
    public async Task A_lease_that_expires_on_the_last_attempt_runs_the_failure_hook_once_in_the_failing_transaction()
    {
        var job = await F.EnqueueAsync(JobsAppFactory.Fail, new { }, new EnqueueOptions { MaxAttempts = 2 });
        Assert.Equal(JobOutcome.Retrying, (await F.Runner.RunOnceAsync("w", CancellationToken.None))!.Outcome);
        F.Clock.Advance(TimeSpan.FromMinutes(1));
        var dead = await F.Runner.ClaimAsync("dead-worker", CancellationToken.None); // the last attempt, then kill -9
        Assert.Equal((job.Id, 2), (dead!.Id, dead.Attempts));
        Assert.Equal(0, await F.NewRunner().RecoverExpiredLeasesAsync(CancellationToken.None)); // lease still valid
        Assert.Empty(F.Log.Failed);

        F.Clock.Advance(TimeSpan.FromSeconds(61));
        // Several processes recover at once: one of them fails the job and runs the hook.
        var recovered = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => F.NewRunner().RecoverExpiredLeasesAsync(CancellationToken.None))));
        Assert.Equal(1, recovered.Sum());
        var stored = await F.JobAsync(job.Id);
        Assert.Equal((JobStatus.Failed, (string?)null), (stored.Status, stored.LeaseOwner));
        Assert.Equal("The worker's lease expired on the last attempt.", stored.LastError);
        Assert.Equal((job.Id, "The worker's lease expired on the last attempt."), Assert.Single(F.Log.Failed));
        Assert.True(await FollowUpExists(job.Id));

        Assert.Equal(0, await F.NewRunner().RecoverExpiredLeasesAsync(CancellationToken.None));
        Assert.Single(F.Log.Failed);
    }

    [Fact]
    public async Task A_long_job_renews_its_lease_so_nobody_else_takes_it()
    {
        var job = await F.EnqueueAsync(JobsAppFactory.Block, new { });
        var running = Task.Run(() => F.Runner.RunOnceAsync("slow", CancellationToken.None));
        await JobsAppFactory.Eventually(() => Task.FromResult(F.Log.Started.ContainsKey(job.Id)), "the job runs");

        // Three lease lengths pass in steps of a third; each step must be followed by a renewal.
        for (var step = 0; step < 9; step++)
        {
            var before = (await F.JobAsync(job.Id)).LeaseExpiresAt!.Value;
            F.Clock.Advance(TimeSpan.FromSeconds(20));
            await JobsAppFactory.Eventually(async () => (await F.JobAsync(job.Id)).LeaseExpiresAt > before, "the lease is renewed");
            Assert.Null(await F.NewRunner().RunOnceAsync("thief", CancellationToken.None));
        }

        F.Log.Gate.SetResult();
        var run = await running;
        Assert.Equal(JobOutcome.Completed, run!.Outcome);
        Assert.Equal(1, run.Attempt);
        Assert.Equal(1, F.Log.Runs[job.Id]);
    }

    [Fact]
    public async Task A_worker_that_lost_its_lease_stops_the_handler_and_leaves_the_job_to_its_new_owner()
    {
        var job = await F.EnqueueAsync(JobsAppFactory.Block, new { });
        var running = Task.Run(() => F.Runner.RunOnceAsync("paused", CancellationToken.None));
        await JobsAppFactory.Eventually(() => Task.FromResult(F.Log.Started.ContainsKey(job.Id)), "the job runs");

        // Meanwhile (say after a long pause of this worker) the job went to another worker.
        await F.WithDb(db => db.Jobs.Where(j => j.Id == job.Id).ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseOwner, "other")));
        for (var i = 0; i < 100 && !running.IsCompleted; i++)
        {
            F.Clock.Advance(TimeSpan.FromSeconds(20));
            await Task.Delay(20);
        }
        var run = await running;
        Assert.Equal(JobOutcome.LeaseLost, run!.Outcome);
        var stored = await F.JobAsync(job.Id);
        Assert.Equal(JobStatus.Processing, stored.Status);
        Assert.Equal("other", stored.LeaseOwner);
    }

    [Fact]
    public async Task Failed_attempts_back_off_exponentially_then_fail_with_the_error_kept()
    {
        var job = await F.EnqueueAsync(JobsAppFactory.Fail, new { }); // Jobs:DefaultMaxAttempts = 3, base 10 s

        var first = await F.Runner.RunOnceAsync("w", CancellationToken.None);
        Assert.Equal(JobOutcome.Retrying, first!.Outcome);
        var afterFirst = await F.JobAsync(job.Id);
        var wait1 = afterFirst.RunAt - F.Clock.GetUtcNow().UtcDateTime;
        Assert.InRange(wait1.TotalSeconds, 5, 10);
        Assert.Equal(JobStatus.Queued, afterFirst.Status);
        Assert.Contains("boom on attempt 1", afterFirst.LastError);

        Assert.Null(await F.Runner.RunOnceAsync("w", CancellationToken.None)); // not due during the backoff
        Assert.Empty(F.Log.Failed); // no failure hook while attempts remain
        F.Clock.Advance(wait1);
        Assert.Equal(JobOutcome.Retrying, (await F.Runner.RunOnceAsync("w", CancellationToken.None))!.Outcome);
        var wait2 = (await F.JobAsync(job.Id)).RunAt - F.Clock.GetUtcNow().UtcDateTime;
        Assert.InRange(wait2.TotalSeconds, 10, 20);

        F.Clock.Advance(wait2);
        var last = await F.Runner.RunOnceAsync("w", CancellationToken.None);
        Assert.Equal(new JobRun(job.Id, JobsAppFactory.Fail, 3, JobOutcome.Failed), last);
        var failed = await F.JobAsync(job.Id);
        Assert.Equal(JobStatus.Failed, failed.Status);
        Assert.Equal(3, failed.Attempts);
        Assert.Contains("boom on attempt 3", failed.LastError);
        Assert.NotNull(failed.FinishedAt);
        var hook = Assert.Single(F.Log.Failed);
        Assert.Equal(job.Id, hook.Id);
        Assert.Contains("boom on attempt 3", hook.Error);
        Assert.True(await FollowUpExists(job.Id));

        F.Clock.Advance(TimeSpan.FromDays(1));
        Assert.Null(await F.Runner.RunOnceAsync("w", CancellationToken.None));
        Assert.Equal(3, F.Log.Runs[job.Id]);
        Assert.Single(F.Log.Failed);
    }

    private Task<bool> FollowUpExists(long jobId) => F.WithDb(db => db.Jobs.AnyAsync(j => j.IdempotencyKey == $"failed:{jobId}"));

    [Fact]
    public void Backoff_doubles_per_attempt_with_jitter_and_a_cap()
    {
        var o = new JobsOptions { BackoffBaseSeconds = 10, BackoffMaxSeconds = 300 };
        Assert.Equal(10, JobRunner.Backoff(1, o, 1).TotalSeconds);
        Assert.Equal(5, JobRunner.Backoff(1, o, 0).TotalSeconds);
        Assert.Equal(40, JobRunner.Backoff(3, o, 1).TotalSeconds);
        Assert.Equal(30, JobRunner.Backoff(3, o, 0.5).TotalSeconds);
        Assert.Equal(300, JobRunner.Backoff(20, o, 1).TotalSeconds);
    }

    [Fact]
    public async Task A_permanent_failure_is_not_retried()
    {
        var job = await F.EnqueueAsync(JobsAppFactory.Permanent, new BadInput("no such product"), new EnqueueOptions { MaxAttempts = 5 });
        var run = await F.Runner.RunOnceAsync("w", CancellationToken.None);
        Assert.Equal(JobOutcome.Failed, run!.Outcome);
        var stored = await F.JobAsync(job.Id);
        Assert.Equal(JobStatus.Failed, stored.Status);
        Assert.Equal(1, stored.Attempts);
        Assert.Equal("bad input: no such product", stored.LastError);
        Assert.Equal((job.Id, "bad input: no such product"), Assert.Single(F.Log.Failed));
        Assert.True(await FollowUpExists(job.Id));
    }

    [Fact]
    public async Task A_failure_hook_that_throws_leaves_no_changes_but_the_job_still_fails()
    {
        var job = await F.EnqueueAsync(JobsAppFactory.Permanent, new BadInput("hook-explodes"));
        Assert.Equal(JobOutcome.Failed, (await F.Runner.RunOnceAsync("w", CancellationToken.None))!.Outcome);
        var stored = await F.JobAsync(job.Id);
        Assert.Equal(JobStatus.Failed, stored.Status);
        Assert.Null(stored.LeaseOwner);
        Assert.Contains("failure hook threw: hook failed", stored.LastError);
        Assert.Single(F.Log.Failed); // ran once, rolled back, not run again
        Assert.False(await FollowUpExists(job.Id));
    }

    [Fact]
    public async Task A_delayed_job_waits_for_its_time_and_priority_orders_due_jobs()
    {
        var now = F.Clock.GetUtcNow().UtcDateTime;
        var later = await F.EnqueueAsync(JobsAppFactory.Record, new { }, new EnqueueOptions { RunAt = now.AddHours(2) });
        var low = await F.EnqueueAsync(JobsAppFactory.Record, new { });
        var high = await F.EnqueueAsync(JobsAppFactory.Record, new { }, new EnqueueOptions { Priority = 5 });

        Assert.Equal(high.Id, (await F.Runner.RunOnceAsync("w", CancellationToken.None))!.JobId);
        Assert.Equal(low.Id, (await F.Runner.RunOnceAsync("w", CancellationToken.None))!.JobId);
        Assert.Null(await F.Runner.RunOnceAsync("w", CancellationToken.None));
        F.Clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(later.Id, (await F.Runner.RunOnceAsync("w", CancellationToken.None))!.JobId);
    }

    [Fact]
    public async Task MaxConcurrent_one_holds_across_racing_workers_and_processes()
    {
        var ids = new List<long>();
        for (var i = 0; i < 16; i++) ids.Add((await F.EnqueueAsync(JobsAppFactory.Limited, new { i })).Id);
        var runners = new[] { F.Runner, F.NewRunner() };
        var ran = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => Task.Run(async () =>
        {
            // Keep trying until every job is done: a worker that finds the slot taken gets nothing.
            var n = 0;
            while (ids.Any(id => F.Log.Runs.GetValueOrDefault(id) == 0))
            {
                if (await runners[i % 2].RunOnceAsync($"w{i}", CancellationToken.None) is not null) n++;
            }
            return n;
        })));
        Assert.Equal(16, ran.Sum());
        Assert.Equal(1, F.Log.MaxRunning);
        Assert.All(ids, id => Assert.Equal(1, F.Log.Runs[id]));
    }

    [Fact]
    public async Task MinInterval_spaces_the_starts_of_a_type()
    {
        var a = await F.EnqueueAsync(JobsAppFactory.Spaced, new { });
        var b = await F.EnqueueAsync(JobsAppFactory.Spaced, new { });
        var other = await F.EnqueueAsync(JobsAppFactory.Record, new { });

        Assert.Equal(a.Id, (await F.Runner.RunOnceAsync("w", CancellationToken.None))!.JobId);
        Assert.Equal(other.Id, (await F.Runner.RunOnceAsync("w", CancellationToken.None))!.JobId); // other types are not held up
        Assert.Null(await F.Runner.RunOnceAsync("w", CancellationToken.None));
        F.Clock.Advance(TimeSpan.FromSeconds(9));
        Assert.Null(await F.NewRunner().RunOnceAsync("w2", CancellationToken.None));
        F.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(b.Id, (await F.NewRunner().RunOnceAsync("w2", CancellationToken.None))!.JobId);
    }

    [Fact]
    public async Task Clean_up_deletes_completed_and_cancelled_jobs_past_retention_only()
    {
        var old = await F.EnqueueAsync(JobsAppFactory.Record, new { });
        var failed = await F.EnqueueAsync(JobsAppFactory.Permanent, new BadInput("x"));
        await JobsAppFactory.DrainAsync(F.Runner, "w");
        F.Clock.Advance(TimeSpan.FromDays(8));
        var recent = await F.EnqueueAsync(JobsAppFactory.Record, new { });
        await JobsAppFactory.DrainAsync(F.Runner, "w");

        var cleanup = await F.EnqueueAsync(JobCleanupHandler.Type, new { });
        Assert.Equal(JobOutcome.Completed, (await F.Runner.RunOnceAsync("w", CancellationToken.None))!.Outcome);

        var left = await F.WithDb(db => db.Jobs.Select(j => j.Id).ToListAsync());
        Assert.DoesNotContain(old.Id, left);
        Assert.Contains(failed.Id, left);
        Assert.Contains(recent.Id, left);
        Assert.Contains(cleanup.Id, left);
    }
}
